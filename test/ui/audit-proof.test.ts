import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson as serverCanonicalJson } from "../../src/audit/integrity/canonical-json.ts";
import { signCheckpoint } from "../../src/audit/integrity/checkpoint.ts";
import { rootFromLeafHashes } from "../../src/audit/integrity/merkle-accumulator.ts";
import { leafHash as serverLeafHash, leafHashHex } from "../../src/audit/integrity/merkle-hash.ts";
import { inclusionProof } from "../../src/audit/integrity/merkle-proof.ts";
import {
  createNoteSigner,
  formatVerifierKey,
  type NoteSigner,
} from "../../src/audit/integrity/signed-note.ts";
import { syntheticEvent } from "../../src/audit/integrity/synthetic-audit-log.ts";
import { canonicalJson } from "../../ui/src/audit-proof/canonical-json.ts";
import { leafHashOf, verifyInclusion } from "../../ui/src/audit-proof/merkle-inclusion.ts";
import { bytesToHex, hexToBytes } from "../../ui/src/audit-proof/proof-bytes.ts";
import { openCheckpoint, parseVerifierKey } from "../../ui/src/audit-proof/signed-checkpoint.ts";
import { verifyEventProof, type EventProofInput } from "../../ui/src/audit-proof/verify-event-proof.ts";

const ORIGIN = "composer.example.com/audit";

function signer(name = ORIGIN): NoteSigner {
  return createNoteSigner({ name, privateKey: generateKeyPairSync("ed25519").privateKey });
}

/** Events as the server writes them, one with every kind of string and number JCS cares about. */
function events(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => {
    const event = syntheticEvent(index + 1);
    if (index === 2) {
      event.details = {
        note: 'quote " backslash \\ tab \t nl \n ctl \u0001 é 😀 \u2028 </script>',
        ratio: 0.1,
        big: 1e21,
        tiny: 5e-7,
        negative: -0,
        nested: { b: [1, true, null], a: {}, "\u00e9": 1, A: 2 },
      };
      event.target = null;
    }
    return event;
  });
}

/** What the server would answer for the log of `log`: the key, a checkpoint of its size and each event's proof. */
function serverVectors(log: readonly Record<string, unknown>[], key: NoteSigner = signer()) {
  const leaves = log.map((event) => serverLeafHash(Buffer.from(serverCanonicalJson(event), "utf8")));
  const root = rootFromLeafHashes(leaves);
  const note = signCheckpoint({ origin: ORIGIN, size: log.length, rootHash: root }, key);
  const proofOf = (index: number, size = log.length) => ({
    event: JSON.parse(JSON.stringify(log[index])) as unknown,
    leafIndex: index,
    leafHash: leafHashHex(serverCanonicalJson(log[index])),
    treeSize: size,
    proof: inclusionProof(index, size, (i) => leaves[i] ?? Buffer.alloc(0)).map((node) =>
      node.toString("hex"),
    ),
  });
  return { verifierKey: formatVerifierKey(key), note, root, leaves, proofOf };
}

describe("the dashboard's in-browser audit proof check", () => {
  it("writes the same canonical JSON and leaf hash as the server", async () => {
    for (const event of events(6)) {
      const parsed = JSON.parse(JSON.stringify(event)) as unknown;
      expect(canonicalJson(parsed)).toBe(serverCanonicalJson(event));
      expect(bytesToHex(await leafHashOf(canonicalJson(parsed)))).toBe(
        leafHashHex(serverCanonicalJson(event)),
      );
    }
    expect(() => canonicalJson({ a: "\ud800" })).toThrow(TypeError);
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
  });

  it("verifies every event's proof in logs of many sizes, and no proof at a wrong index or root", async () => {
    for (const size of [1, 2, 3, 5, 7, 8, 13]) {
      const log = events(size);
      const { leaves, root, proofOf } = serverVectors(log);
      for (let index = 0; index < size; index++) {
        const nodes = proofOf(index).proof.map((hex) => hexToBytes(hex) ?? new Uint8Array());
        expect(await verifyInclusion(leaves[index] ?? new Uint8Array(), index, size, nodes, root)).toBe(true);
        if (size > 1) {
          const other = (index + 1) % size;
          expect(await verifyInclusion(leaves[index] ?? new Uint8Array(), other, size, nodes, root)).toBe(
            false,
          );
        }
        const wrongRoot = Uint8Array.from(root);
        wrongRoot[0] = (wrongRoot[0] ?? 0) ^ 1;
        expect(await verifyInclusion(leaves[index] ?? new Uint8Array(), index, size, nodes, wrongRoot)).toBe(
          false,
        );
      }
      const first = leaves[0] ?? new Uint8Array();
      expect(await verifyInclusion(first, -1, size, [], root)).toBe(false);
      expect(await verifyInclusion(first, size, size, [], root)).toBe(false);
      expect(await verifyInclusion(first.subarray(1), 0, size, [], root)).toBe(false);
    }
  });

  it("accepts a real proof against the signed checkpoint and names the checkpoint and key", async () => {
    const key = signer();
    const log = events(11);
    const { verifierKey, note, proofOf } = serverVectors(log, key);
    for (let index = 0; index < log.length; index++) {
      const result = await verifyEventProof({ verifierKey, checkpointNote: note, proof: proofOf(index) });
      expect(result).toEqual({
        ok: true,
        checkpointSize: 11,
        signedBy: `${ORIGIN}+${key.keyId.toString(16).padStart(8, "0")}`,
        leafHash: leafHashHex(serverCanonicalJson(log[index])),
      });
    }
  });

  describe("hostile cases", () => {
    const log = events(9);
    const key = signer();
    const { verifierKey, note, proofOf } = serverVectors(log, key);
    const good: EventProofInput = { verifierKey, checkpointNote: note, proof: proofOf(4) };

    async function reason(input: EventProofInput): Promise<string> {
      const result = await verifyEventProof(input);
      return result.ok ? "ok" : result.reason;
    }

    it("refuses an event with one byte changed, even when its leaf hash is recomputed", async () => {
      const event = { ...(good.proof.event as Record<string, unknown>), action: "dist_downloaf" };
      expect(await reason({ ...good, proof: { ...good.proof, event } })).toBe("leaf-mismatch");
      const rehashed = { ...good.proof, event, leafHash: leafHashHex(serverCanonicalJson(event)) };
      expect(await reason({ ...good, proof: rehashed })).toBe("not-included");
      const moved = { ...(good.proof.event as Record<string, unknown>), seq: 4 };
      expect(
        await reason({
          ...good,
          proof: { ...good.proof, event: moved, leafHash: leafHashHex(serverCanonicalJson(moved)) },
        }),
      ).toBe("leaf-mismatch");
    });

    it("refuses a proof with a flipped node, a missing or extra node, or nodes that are not hex", async () => {
      const [head = "", ...rest] = good.proof.proof;
      const flipped = `${head.slice(0, -1)}${head.endsWith("0") ? "1" : "0"}`;
      expect(await reason({ ...good, proof: { ...good.proof, proof: [flipped, ...rest] } })).toBe(
        "not-included",
      );
      expect(await reason({ ...good, proof: { ...good.proof, proof: rest } })).toBe("not-included");
      expect(await reason({ ...good, proof: { ...good.proof, proof: [...good.proof.proof, head] } })).toBe(
        "not-included",
      );
      expect(await reason({ ...good, proof: { ...good.proof, proof: ["zz", ...rest] } })).toBe(
        "not-included",
      );
    });

    it("refuses a checkpoint with a wrong root, even one signed by another key", async () => {
      const wrongRoot = Buffer.alloc(32, 7);
      const forged = signCheckpoint({ origin: ORIGIN, size: 9, rootHash: wrongRoot }, key);
      expect(await reason({ ...good, checkpointNote: forged })).toBe("not-included");
      const other = signer();
      const elsewhere = signCheckpoint({ origin: ORIGIN, size: 9, rootHash: wrongRoot }, other);
      expect(await reason({ ...good, checkpointNote: elsewhere })).toBe("bad-signature");
      // The right checkpoint signed by a stranger's key (same name): the pinned key's signature is missing.
      expect(await reason({ ...good, verifierKey: formatVerifierKey(other) })).toBe("bad-signature");
    });

    it("refuses a checkpoint whose signature or text was changed", async () => {
      const lines = note.split("\n");
      const signature = lines.at(-2) ?? "";
      const blob = Buffer.from(signature.split(" ").at(-1) ?? "", "base64");
      blob[10] = (blob[10] ?? 0) ^ 0xff;
      const badSignature = [
        ...lines.slice(0, -2),
        signature.replace(/\S+$/, blob.toString("base64")),
        "",
      ].join("\n");
      expect(await reason({ ...good, checkpointNote: badSignature })).toBe("bad-signature");
      const badText = note.replace(/^(.*)\n9\n/, "$1\n10\n");
      expect(badText).not.toBe(note);
      expect(await reason({ ...good, checkpointNote: badText })).toBe("bad-signature");
      expect(await reason({ ...good, checkpointNote: "not a note" })).toBe("bad-checkpoint");
      expect(await reason({ ...good, checkpointNote: `${note.split("\n\n")[0] ?? ""}\n\n` })).toBe(
        "bad-checkpoint",
      );
    });

    it("refuses a proof for another tree size than the checkpoint's", async () => {
      expect(await reason({ ...good, proof: proofOf(4, 7) })).toBe("wrong-size");
      // Claiming the checkpoint's size does not help a proof made for another tree.
      expect(await reason({ ...good, proof: { ...proofOf(4, 7), treeSize: 9 } })).toBe("not-included");
    });

    it("refuses a key that is malformed, of another log, or whose key ID lies", async () => {
      expect(await reason({ ...good, verifierKey: "not a key" })).toBe("bad-key");
      const parts = verifierKey.split("+");
      expect(await reason({ ...good, verifierKey: [parts[0], "00000000", parts[2]].join("+") })).toBe(
        "bad-key",
      );
      const stranger = signer("other.example.com/audit");
      const strangerNote = signCheckpoint(
        { origin: ORIGIN, size: 9, rootHash: serverVectors(log).root },
        stranger,
      );
      expect(
        await reason({ ...good, verifierKey: formatVerifierKey(stranger), checkpointNote: strangerNote }),
      ).toBe("wrong-origin");
      await expect(parseVerifierKey(`${verifierKey}=`)).rejects.toThrow(/Ed25519/);
    });

    it("opens a checkpoint signed by several keys by the one it trusts", async () => {
      const other = signer("witness.example.com");
      const cosigned = signCheckpoint({ origin: ORIGIN, size: 9, rootHash: serverVectors(log).root }, [
        other,
        key,
      ]);
      const opened = await openCheckpoint(cosigned, await parseVerifierKey(verifierKey));
      expect(opened.size).toBe(9);
    });
  });
});
