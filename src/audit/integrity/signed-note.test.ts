import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../errors/domain-error.ts";
import {
  createNoteSigner,
  createNoteVerifier,
  ed25519KeyId,
  formatSignerKey,
  formatVerifierKey,
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  NoteError,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type NoteErrorReason,
} from "./signed-note.ts";

// golang.org/x/mod/sumdb/note: package documentation and note_test.go.
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG =
  "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
// c2sp.org/signed-note: the example note (its key is not published).
const C2SP_NOTE =
  "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n" +
  "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

function reasonOf(action: () => unknown): NoteErrorReason {
  try {
    action();
  } catch (error) {
    if (error instanceof NoteError) return error.reason;
    throw error;
  }
  throw new Error("no error");
}

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

describe("Go sumdb/note vectors", () => {
  it("parses the PeterNeumann and EnochRoot verifier keys and reformats them identically", () => {
    expect(peter.name).toBe("PeterNeumann");
    expect(peter.keyId).toBe(0xc74f20a3);
    expect(ed25519KeyId("PeterNeumann", peter.publicKey)).toBe(0xc74f20a3);
    expect(formatVerifierKey(peter)).toBe(PETER_VKEY);
    expect(enoch.keyId).toBe(0xaf0cfe78);
    expect(formatVerifierKey(enoch)).toBe(ENOCH_VKEY);
  });

  it("signs the documented note byte for byte with the published signer key (Ed25519 is deterministic)", () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signer.publicKey.equals(peter.publicKey)).toBe(true);
    expect(signNote(TEXT, signer)).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it("rejects every substring and every one-character change of a verifier key (TestNewVerifier)", () => {
    const bytes = Buffer.from(PETER_VKEY);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        const mangled = bytes.subarray(i, j).toString("latin1");
        expect(
          reasonOf(() => parseVerifierKey(mangled)),
          mangled,
        ).toBe("bad-key");
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = changed[i]! + 1;
      expect(reasonOf(() => parseVerifierKey(changed.toString("latin1")))).toBe("bad-key");
    }
    // Wrong key length and unknown algorithm, each with a key ID computed to match.
    expect(
      reasonOf(() =>
        parseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
      ),
    ).toBe("bad-key");
    expect(
      reasonOf(() => parseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")),
    ).toBe("bad-key");
  });

  it("rejects every substring and every one-character change of a signer key (TestNewSigner)", () => {
    const bytes = Buffer.from(PETER_SKEY);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i === 0 && j === bytes.length) continue;
        expect(reasonOf(() => parseSignerKey(bytes.subarray(i, j).toString("latin1")))).toBe("bad-key");
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = changed[i]! + 1;
      expect(reasonOf(() => parseSignerKey(changed.toString("latin1")))).toBe("bad-key");
    }
  });

  it("opens with one known key and ignores the unknown one (TestOpen)", () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verifiedBy).toEqual([{ name: "PeterNeumann", keyId: 0xc74f20a3 }]);
    expect(opened.unverified).toEqual([{ name: "EnochRoot", keyId: 0xaf0cfe78 }]);
    const both = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter, enoch]);
    expect(both.verifiedBy.map((key) => key.name)).toEqual(["PeterNeumann", "EnochRoot"]);
    expect(both.unverified).toEqual([]);
  });

  it("refuses a note no known key signed, and a known key's bad signature", () => {
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, []))).toBe("unverified");
    const corrupted = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(reasonOf(() => openNote(corrupted, [peter]))).toBe("bad-signature");
    // ...even when another known key verified.
    const enochFirst = `${TEXT}\n${ENOCH_SIG}${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(reasonOf(() => openNote(enochFirst, [peter, enoch]))).toBe("bad-signature");
  });

  it("keeps the first signature of a key and lists repeated unknown ones once", () => {
    const note = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const opened = openNote(note, [peter]);
    expect(opened.verifiedBy).toHaveLength(1);
    expect(opened.unverified).toHaveLength(2);
  });

  it("refuses ambiguous verifier lists only when the ambiguous key signed", () => {
    const impostor = createNoteVerifier({ name: "EnochRoot", publicKey: peter.publicKey });
    const clash = { ...impostor, keyId: enoch.keyId };
    expect(reasonOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, clash]))).toBe("ambiguous-key");
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, clash]).verifiedBy).toHaveLength(1);
    // The same key listed twice is not ambiguous.
    expect(openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, enoch]).verifiedBy).toHaveLength(1);
  });

  it("accepts 100 signatures and refuses 101", () => {
    expect(MAX_NOTE_SIGNATURES).toBe(100);
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, [peter]).verifiedBy).toHaveLength(1);
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter]))).toBe("malformed");
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, []))).toBe("malformed");
  });

  it.each([
    ["no signature block", TEXT],
    ["a blank line only", `${TEXT}\n`],
    ["no final newline", `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ["a control character", `\u0001${TEXT}\n${PETER_SIG}`],
    [
      "a name with a space",
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    ],
    ["a line that is not a signature", `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ["a hyphen for the em dash", `${TEXT}\n- ${PETER_SIG.slice(2)}`],
    ["a signature too short", `${TEXT}\n— PeterNeumann AAAA\n`],
    ["non-canonical base64", `${TEXT}\n${PETER_SIG.replace("AM=", "AN=")}`],
    ["a carriage return", `${TEXT.replace("\n", "\r\n")}\n${PETER_SIG}`],
  ])("refuses a note with %s (malformed)", (_what, note) => {
    expect(reasonOf(() => openNote(note, [peter]))).toBe("malformed");
  });

  it("refuses bytes that are not UTF-8 (Go's \\xff case)", () => {
    const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(reasonOf(() => openNote(bytes, [peter]))).toBe("malformed");
    expect(openNote(Buffer.from(`${TEXT}\n${PETER_SIG}`), [peter]).text).toBe(TEXT);
  });
});

describe("the C2SP signed-note example", () => {
  it("splits the text at the last blank line and reads the signature", () => {
    const parsed = parseNote(C2SP_NOTE);
    expect(parsed.text).toBe(
      "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n",
    );
    expect(parsed.signatures).toHaveLength(1);
    expect(parsed.signatures[0]!.name).toBe("quasimodo.example/salvatore");
    expect(parsed.signatures[0]!.signature).toHaveLength(64);
    expect(reasonOf(() => openNote(C2SP_NOTE, [peter]))).toBe("unverified");
  });
});

describe("keys generated here", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signer = createNoteSigner({ name: "audit.example/log", privateKey });
  const verifier = createNoteVerifier({ name: "audit.example/log", publicKey });

  it("agree on name, key ID and public key, from a KeyObject or raw bytes", () => {
    expect(signer.keyId).toBe(verifier.keyId);
    expect(signer.publicKey.equals(verifier.publicKey)).toBe(true);
    const fromRaw = createNoteVerifier({ name: "audit.example/log", publicKey: verifier.publicKey });
    expect(formatVerifierKey(fromRaw)).toBe(formatVerifierKey(verifier));
    expect(formatVerifierKey(parseVerifierKey(formatVerifierKey(signer)))).toBe(formatVerifierKey(verifier));
  });

  it("round-trip the Go signer key format", () => {
    const skey = formatSignerKey({ name: "audit.example/log", privateKey });
    expect(skey).toMatch(/^PRIVATE\+KEY\+audit\.example\/log\+[0-9a-f]{8}\+A/);
    const again = parseSignerKey(skey);
    const note = signNote("hello\n", again);
    expect(openNote(note, [verifier]).text).toBe("hello\n");
  });

  it("sign and open, and any change to the text or signature is refused", () => {
    const text = "audit.example/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const note = signNote(text, signer);
    expect(note.startsWith(`${text}\n— audit.example/log `)).toBe(true);
    expect(openNote(note, [verifier])).toEqual({
      text,
      verifiedBy: [{ name: "audit.example/log", keyId: signer.keyId }],
      unverified: [],
    });
    expect(reasonOf(() => openNote(note.replace("42", "43"), [verifier]))).toBe("bad-signature");
    const line = note.slice(text.length + 1);
    const blob = Buffer.from(line.slice(line.lastIndexOf(" ") + 1, -1), "base64");
    blob.writeUInt8(blob.readUInt8(10) ^ 1, 10);
    expect(
      reasonOf(() => openNote(`${text}\n— audit.example/log ${blob.toString("base64")}\n`, [verifier])),
    ).toBe("bad-signature");
    blob.writeUInt8(blob.readUInt8(10) ^ 1, 10);
    blob.writeUInt8(blob.readUInt8(0) ^ 1, 0); // another key ID: an unknown key, so nothing verified
    expect(
      reasonOf(() => openNote(`${text}\n— audit.example/log ${blob.toString("base64")}\n`, [verifier])),
    ).toBe("unverified");
  });

  it("cosign: several keys sign once each; a key repeated signs once", () => {
    const other = generateKeyPairSync("ed25519");
    const witness = createNoteSigner({ name: "witness.example/w1", privateKey: other.privateKey });
    const note = signNote("body\n", [signer, witness, signer]);
    expect(note.split("\n— ")).toHaveLength(3);
    const witnessVerifier = createNoteVerifier({ name: "witness.example/w1", publicKey: other.publicKey });
    expect(openNote(note, [verifier, witnessVerifier]).verifiedBy).toHaveLength(2);
    expect(openNote(note, [witnessVerifier]).unverified).toEqual([
      { name: "audit.example/log", keyId: signer.keyId },
    ]);
  });

  it("refuses texts a note cannot carry and keys that are not Ed25519 or badly named", () => {
    for (const bad of ["", "no newline", "tab\there\n", "bell\u0007\n", "lone \ud800\n"]) {
      expect(reasonOf(() => signNote(bad, signer))).toBe("malformed");
    }
    expect(reasonOf(() => signNote("x\n", []))).toBe("malformed");
    expect(signNote("multi\n\nparagraph\n", signer)).toMatch(/^multi\n\nparagraph\n\n— /);
    expect(reasonOf(() => createNoteSigner({ name: "has space", privateKey }))).toBe("bad-key");
    expect(reasonOf(() => createNoteSigner({ name: "audit", privateKey: publicKey }))).toBe("bad-key");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(reasonOf(() => createNoteVerifier({ name: "audit", publicKey: rsa.publicKey }))).toBe("bad-key");
    expect(reasonOf(() => createNoteVerifier({ name: "audit", publicKey: new Uint8Array(31) }))).toBe(
      "bad-key",
    );
  });

  it("are DomainErrors with stable codes", () => {
    const codeOf = (note: string): unknown => {
      try {
        openNote(note, [verifier]);
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).kind).toBe("invalid");
        return (error as DomainError).code;
      }
      return undefined;
    };
    expect(codeOf("x\n\n— a AAAA\n")).toBe("NoteMalformed");
    expect(codeOf("x\n\n— a AAAAAAAA\n")).toBe("NoteUnverified");
    expect(codeOf(signNote("x\n", signer).replace("x", "y"))).toBe("NoteSignatureInvalid");
  });
});

describe("isValidKeyName", () => {
  it("allows URLs and non-ASCII, refuses empty names, pluses and every Unicode space", () => {
    for (const good of ["sum.golang.org", "example.com/log42", "journal-ü", "a"])
      expect(isValidKeyName(good)).toBe(true);
    for (const bad of ["", "a+b", "a b", "a\tb", "a\u0085b", "a\u00a0b", "a\u2003b", "a\u3000b", "a\nb"]) {
      expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
