import { createHash, type Hash } from "node:crypto";

/**
 * The verifiable export bundle (docs/audit-export.md, "Bundles"): JSON lines.
 *
 * 1. `{"type":"header","format":"package-broker-audit-bundle","version":1,"origin","verifier_key",
 *    "query","exported_at","checkpoint"}` — `checkpoint` is a signed checkpoint (C2SP note) of the
 *    tree that contains every exported event.
 * 2. One `{"type":"event","event":{...},"proof":["hex", ...]}` per event, in seq order: the event
 *    as stored (its RFC 8785 canonical JSON is the Merkle leaf) and its inclusion proof in the
 *    checkpoint's tree (leaf index seq - 1).
 * 3. `{"type":"manifest","note":"..."}` — a note signed with the same key whose text binds the
 *    export: origin, tree size, the number of events, and SHA-256 over every event's
 *    `seq leafhash` line in order. Proofs show that each event is in the log unchanged; the
 *    manifest shows that no event was left out, added or reordered.
 */
export const BUNDLE_FORMAT = "package-broker-audit-bundle";
export const BUNDLE_VERSION = 1;
const MANIFEST_TITLE = "package-broker audit export bundle v1";

export interface BundleHeader {
  readonly type: "header";
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  readonly origin: string;
  /** The C2SP verifier key of the checkpoint and the manifest, as the server published it. */
  readonly verifier_key: string;
  readonly query: string;
  readonly exported_at: string;
  readonly checkpoint: string;
}

export interface BundleEventLine {
  readonly type: "event";
  /** The stored event (an AuditEvent), as JSON. */
  readonly event: { readonly seq: number };
  readonly proof: readonly string[];
}

export interface BundleManifestLine {
  readonly type: "manifest";
  readonly note: string;
}

/** What the manifest states (its signed text). */
export interface BundleManifest {
  readonly origin: string;
  readonly treeSize: number;
  readonly events: number;
  /** Base64 SHA-256 over `"<seq> <leaf hash hex>\n"` of every event, in order. */
  readonly digest: string;
}

export function formatManifest(manifest: BundleManifest): string {
  return [
    MANIFEST_TITLE,
    `origin ${manifest.origin}`,
    `tree-size ${manifest.treeSize}`,
    `events ${manifest.events}`,
    `digest ${manifest.digest}`,
  ]
    .map((line) => `${line}\n`)
    .join("");
}

const MANIFEST = new RegExp(
  `^${MANIFEST_TITLE}\\norigin ([^\\n]+)\\ntree-size (0|[1-9]\\d{0,15})\\nevents (0|[1-9]\\d{0,15})\\ndigest ([A-Za-z0-9+/]{43}=)\\n$`,
);

/** The manifest's fields, or null when the text is not a manifest. */
export function parseManifest(text: string): BundleManifest | null {
  const match = MANIFEST.exec(text);
  if (match === null) return null;
  return {
    origin: match[1] ?? "",
    treeSize: Number(match[2]),
    events: Number(match[3]),
    digest: match[4] ?? "",
  };
}

/** The running digest of the manifest, fed one event at a time. */
export class BundleDigest {
  readonly #hash: Hash = createHash("sha256");
  #events = 0;

  add(seq: number, leafHashHex: string): void {
    this.#hash.update(`${seq} ${leafHashHex}\n`);
    this.#events += 1;
  }

  get events(): number {
    return this.#events;
  }

  digest(): string {
    return this.#hash.digest("base64");
  }
}
