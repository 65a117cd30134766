import { canonicalJson } from "./canonical-json.ts";
import { openCheckpoint, type Checkpoint } from "./checkpoint.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleDigest,
  parseManifest,
  type BundleHeader,
} from "./export-bundle.ts";
import { isHashHex, leafHashHex, verifyInclusion } from "./merkle.ts";
import { openNote, parseVerifierKey, type NoteVerifier } from "./signed-note.ts";

export type BundleFailureReason =
  "malformed" | "bad-signature" | "key-mismatch" | "changed-event" | "order" | "manifest-mismatch";

export type BundleVerifyResult =
  | {
      readonly ok: true;
      readonly events: number;
      readonly origin: string;
      readonly treeSize: number;
      readonly query: string;
      readonly exportedAt: string;
      /** `pinned`: checked against the key given to the verifier; `bundle`: the bundle's own key. */
      readonly key: "pinned" | "bundle";
      readonly verifierKey: string;
    }
  | {
      readonly ok: false;
      /** 1-based line of the bundle where verification stopped (0: the bundle as a whole). */
      readonly line: number;
      readonly reason: BundleFailureReason;
      readonly detail: string;
    };

type Failure = Extract<BundleVerifyResult, { ok: false }>;

/**
 * Checks an export bundle (integrity/export-bundle.ts) offline, line by line in constant memory:
 * the checkpoint and the manifest are signed by the trusted key; every event hashes to a leaf
 * whose inclusion proof leads to the checkpoint's root (a changed event fails here); seqs strictly
 * increase; and the manifest's count and digest of `seq leafhash` lines match what the bundle
 * holds (a left-out or added event fails here). With `trustedKey` the bundle's own key must be
 * that key; without it, the bundle's key is trusted, which only proves the bundle is internally
 * consistent: pin the server's key to rule out a forgery.
 */
export async function verifyBundle(
  lines: AsyncIterable<string> | Iterable<string>,
  trustedKey?: NoteVerifier,
): Promise<BundleVerifyResult> {
  let number = 0;
  let header: BundleHeader | undefined;
  let verifier: NoteVerifier | undefined;
  let checkpoint: Checkpoint | undefined;
  let lastSeq = 0;
  let manifestSeen = false;
  const digest = new BundleDigest();
  const fail = (reason: BundleFailureReason, detail: string): Failure => ({
    ok: false,
    line: number,
    reason,
    detail,
  });

  for await (const text of lines) {
    number += 1;
    if (text === "") {
      return fail("malformed", "empty line");
    }
    if (manifestSeen) return fail("malformed", "a line after the manifest (events added after the end?)");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail("malformed", "not a JSON line");
    }
    const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;

    if (header === undefined) {
      const opened = openHeader(value, trustedKey);
      if ("reason" in opened) return fail(opened.reason, opened.detail);
      ({ header, verifier, checkpoint } = opened);
      continue;
    }
    if (verifier === undefined || checkpoint === undefined) return fail("malformed", "no header");

    if (type === "event") {
      const event = (value as { event?: unknown }).event;
      const proof = (value as { proof?: unknown }).proof;
      if (typeof event !== "object" || event === null || Array.isArray(event)) {
        return fail("malformed", "an event line needs an event object");
      }
      const seq = (event as { seq?: unknown }).seq;
      if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
        return fail("malformed", "the event has no valid seq");
      }
      if (!Array.isArray(proof) || !proof.every((hash) => typeof hash === "string" && isHashHex(hash))) {
        return fail("malformed", `event seq ${seq}: the proof must be a list of hex SHA-256 hashes`);
      }
      if (seq <= lastSeq) return fail("order", `event seq ${seq} comes after seq ${lastSeq}`);
      if (seq > checkpoint.size) {
        return fail("changed-event", `event seq ${seq} is beyond the checkpoint's ${checkpoint.size} events`);
      }
      let leaf: string;
      try {
        leaf = leafHashHex(canonicalJson(event));
      } catch {
        return fail("malformed", `event seq ${seq} is not JSON data`);
      }
      const included = verifyInclusion(
        Buffer.from(leaf, "hex"),
        seq - 1,
        checkpoint.size,
        (proof as string[]).map((hash) => Buffer.from(hash, "hex")),
        checkpoint.rootHash,
      );
      if (!included) {
        return fail(
          "changed-event",
          `event seq ${seq} does not hash to a leaf of the signed tree: it was changed (or its proof was)`,
        );
      }
      digest.add(seq, leaf);
      lastSeq = seq;
      continue;
    }

    if (type === "manifest") {
      const note = (value as { note?: unknown }).note;
      if (typeof note !== "string") return fail("malformed", "the manifest line needs a note");
      let manifestText: string;
      try {
        manifestText = openNote(note, [verifier]).text;
      } catch (error) {
        return fail("bad-signature", `the manifest: ${(error as Error).message}`);
      }
      const manifest = parseManifest(manifestText);
      if (manifest === null) return fail("malformed", "the manifest's text is not a bundle manifest");
      if (manifest.origin !== checkpoint.origin || manifest.treeSize !== checkpoint.size) {
        return fail("manifest-mismatch", "the manifest is for another log or tree than the checkpoint");
      }
      if (manifest.events !== digest.events) {
        return fail(
          "manifest-mismatch",
          `the manifest lists ${manifest.events} events, the bundle holds ${digest.events}: events were left out or added`,
        );
      }
      if (manifest.digest !== digest.digest()) {
        return fail(
          "manifest-mismatch",
          "the events are not the ones the manifest lists: events were swapped, left out or added",
        );
      }
      manifestSeen = true;
      continue;
    }
    return fail("malformed", `unknown line type ${JSON.stringify(type)}`);
  }

  if (header === undefined || checkpoint === undefined) {
    number = 0;
    return fail("malformed", "the bundle is empty");
  }
  if (!manifestSeen) {
    number = 0;
    return fail("manifest-mismatch", "the bundle has no manifest (cut short?)");
  }
  return {
    ok: true,
    events: digest.events,
    origin: checkpoint.origin,
    treeSize: checkpoint.size,
    query: header.query,
    exportedAt: header.exported_at,
    key: trustedKey === undefined ? "bundle" : "pinned",
    verifierKey: header.verifier_key,
  };
}

function openHeader(
  value: unknown,
  trustedKey: NoteVerifier | undefined,
):
  | { header: BundleHeader; verifier: NoteVerifier; checkpoint: Checkpoint }
  | { reason: BundleFailureReason; detail: string } {
  const header = (typeof value === "object" ? value : null) as Partial<BundleHeader> | null;
  if (header?.type !== "header" || header.format !== BUNDLE_FORMAT) {
    return { reason: "malformed", detail: `not a ${BUNDLE_FORMAT} (the first line must be its header)` };
  }
  if (header.version !== BUNDLE_VERSION) {
    return { reason: "malformed", detail: `bundle version ${String(header.version)} is not supported` };
  }
  for (const field of ["origin", "verifier_key", "query", "exported_at", "checkpoint"] as const) {
    if (typeof header[field] !== "string")
      return { reason: "malformed", detail: `the header has no ${field}` };
  }
  const complete = header as BundleHeader;
  let verifier: NoteVerifier;
  try {
    verifier = trustedKey ?? parseVerifierKey(complete.verifier_key);
  } catch (error) {
    return { reason: "malformed", detail: `the header's verifier key: ${(error as Error).message}` };
  }
  if (trustedKey !== undefined) {
    let own: NoteVerifier | undefined;
    try {
      own = parseVerifierKey(complete.verifier_key);
    } catch {
      own = undefined;
    }
    if (own?.name !== trustedKey.name || own.keyId !== trustedKey.keyId) {
      return { reason: "key-mismatch", detail: "the bundle names another key than the trusted one" };
    }
  }
  try {
    const { checkpoint } = openCheckpoint(complete.checkpoint, [verifier], { origin: verifier.name });
    return { header: complete, verifier, checkpoint };
  } catch (error) {
    return { reason: "bad-signature", detail: `the checkpoint: ${(error as Error).message}` };
  }
}
