import fs from "node:fs";
import { parseVerifierKey, type NoteVerifier } from "../audit/integrity/signed-note.ts";

/** A vkey given inline (`<name>+<id>+<key>`), or the path of a file that holds one. */
export function readVerifierKey(value: string): NoteVerifier {
  const text = value.includes("+") || !fs.existsSync(value) ? value : fs.readFileSync(value, "utf8");
  return parseVerifierKey(text.trim());
}
