import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../errors/domain-error.ts";
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "./checkpoint.ts";
import { leafHash } from "./merkle-hash.ts";
import {
  createNoteSigner,
  createNoteVerifier,
  NoteError,
  parseVerifierKey,
  signNote,
} from "./signed-note.ts";

// The Go checksum database's verifier key (cmd/go/internal/modfetch/key.go) and two signed tree
// heads it published (quoted in public test fixtures: a checkpoint parser benchmark and a
// sumdb lookup of golang.org/x/sync@v0.1.0).
const SUM_GOLANG_ORG = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
const STH_31700353 =
  "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n" +
  "— sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n";
const STH_65209736 =
  "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n" +
  "— sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n";
// c2sp.org/tlog-checkpoint: the example body.
const C2SP_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error("no error");
}

describe("real checkpoints of sum.golang.org", () => {
  const verifier = parseVerifierKey(SUM_GOLANG_ORG);

  it.each([
    [STH_31700353, 31_700_353, "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs="],
    [STH_65209736, 65_209_736, "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo="],
  ])("verifies and parses a published signed tree head", (note, size, root) => {
    const { checkpoint, verifiedBy } = openCheckpoint(note, [verifier], { origin: "go.sum database tree" });
    expect(verifiedBy).toEqual([{ name: "sum.golang.org", keyId: 0x033de0ae }]);
    expect(checkpoint).toEqual({
      origin: "go.sum database tree",
      size,
      rootHash: Buffer.from(root, "base64"),
      extensions: [],
    });
    expect(formatCheckpoint(checkpoint)).toBe(note.slice(0, note.indexOf("\n\n") + 1));
  });

  it("refuses it with a changed size or root, or for another origin", () => {
    expect(codeOf(() => openCheckpoint(STH_31700353.replace("31700353", "31700354"), [verifier]))).toBe(
      "NoteSignatureInvalid",
    );
    expect(codeOf(() => openCheckpoint(STH_31700353.replace("qINS", "qIN5"), [verifier]))).toBe(
      "NoteSignatureInvalid",
    );
    expect(codeOf(() => openCheckpoint(STH_31700353, [verifier], { origin: "example.com/log" }))).toBe(
      "CheckpointOriginMismatch",
    );
  });
});

describe("formatCheckpoint / parseCheckpoint", () => {
  it("parses the C2SP example body and writes it back identically", () => {
    const checkpoint = parseCheckpoint(C2SP_BODY);
    expect(checkpoint.origin).toBe("example.com/behind-the-sofa");
    expect(checkpoint.size).toBe(20_852_163);
    expect(checkpoint.rootHash.toString("base64")).toBe("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
    expect(formatCheckpoint(checkpoint)).toBe(C2SP_BODY);
  });

  it("writes origin, decimal size and base64 root, one per line, and keeps extension lines", () => {
    const rootHash = leafHash(Buffer.from("x"));
    expect(formatCheckpoint({ origin: "audit.example/log", size: 0, rootHash })).toBe(
      `audit.example/log\n0\n${rootHash.toString("base64")}\n`,
    );
    const withExtension = formatCheckpoint({ origin: "o", size: 7, rootHash, extensions: ["ext one"] });
    expect(withExtension).toBe(`o\n7\n${rootHash.toString("base64")}\next one\n`);
    expect(parseCheckpoint(withExtension).extensions).toEqual(["ext one"]);
  });

  it.each([
    ["no final newline", C2SP_BODY.slice(0, -1)],
    ["two lines", "example.com/log\n5\n"],
    ["an empty origin", `\n5\n${"A".repeat(43)}=\n`],
    ["a leading zero", C2SP_BODY.replace("20852163", "020852163")],
    ["a sign", C2SP_BODY.replace("20852163", "+20852163")],
    ["a fraction", C2SP_BODY.replace("20852163", "2085216.3")],
    ["an unsafe size", C2SP_BODY.replace("20852163", "9007199254740993")],
    [
      "a short root",
      C2SP_BODY.replace(
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I",
      ),
    ],
    [
      "a 31-byte root",
      C2SP_BODY.replace("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", Buffer.alloc(31).toString("base64")),
    ],
    ["a base64url root", C2SP_BODY.replace("m/X", "m_X")],
    ["an empty extension line", `${C2SP_BODY}\n`],
    ["a control character", C2SP_BODY.replace("sofa", "so\tfa")],
  ])("refuses %s", (_what, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe("CheckpointMalformed");
  });

  it("refuses to write what it could not read back", () => {
    const rootHash = leafHash(Buffer.from("x"));
    expect(codeOf(() => formatCheckpoint({ origin: "", size: 1, rootHash }))).toBe("CheckpointMalformed");
    expect(codeOf(() => formatCheckpoint({ origin: "a\nb", size: 1, rootHash }))).toBe("CheckpointMalformed");
    expect(codeOf(() => formatCheckpoint({ origin: "o", size: -1, rootHash }))).toBe("CheckpointMalformed");
    expect(codeOf(() => formatCheckpoint({ origin: "o", size: 2 ** 53, rootHash }))).toBe(
      "CheckpointMalformed",
    );
    expect(codeOf(() => formatCheckpoint({ origin: "o", size: 1, rootHash: rootHash.subarray(1) }))).toBe(
      "CheckpointMalformed",
    );
    expect(codeOf(() => formatCheckpoint({ origin: "o", size: 1, rootHash, extensions: [""] }))).toBe(
      "CheckpointMalformed",
    );
  });
});

describe("signCheckpoint / openCheckpoint", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signer = createNoteSigner({ name: "audit.example/log", privateKey });
  const verifier = createNoteVerifier({ name: "audit.example/log", publicKey });
  const rootHash = leafHash(Buffer.from("root"));

  it("round-trips a checkpoint through a signed note", () => {
    const note = signCheckpoint({ origin: "audit.example/log", size: 1234, rootHash }, signer);
    expect(note).toMatch(
      /^audit\.example\/log\n1234\n[A-Za-z0-9+/]{43}=\n\n— audit\.example\/log [A-Za-z0-9+/]+=*\n$/,
    );
    const opened = openCheckpoint(note, [verifier], { origin: "audit.example/log" });
    expect(opened.checkpoint.size).toBe(1234);
    expect(opened.checkpoint.rootHash.equals(rootHash)).toBe(true);
  });

  it("refuses a checkpoint signed by another key of the same name", () => {
    const other = generateKeyPairSync("ed25519");
    const forger = createNoteSigner({ name: "audit.example/log", privateKey: other.privateKey });
    const forged = signCheckpoint({ origin: "audit.example/log", size: 1234, rootHash }, forger);
    expect(() => openCheckpoint(forged, [verifier])).toThrow(NoteError);
    expect(codeOf(() => openCheckpoint(forged, [verifier]))).toBe("NoteUnverified");
  });

  it("refuses a validly signed note that is not a checkpoint", () => {
    expect(codeOf(() => openCheckpoint(signNote("just text\n", signer), [verifier]))).toBe(
      "CheckpointMalformed",
    );
  });
});
