import { invalidInput } from "../errors/domain-error.ts";

/** A whole number typed at the shell (`--limit 50`), at most `maxDigits` digits; else InvalidNumber. */
export function parseWholeNumber(text: string, maxDigits = 6): number {
  if (!new RegExp(`^[0-9]{1,${maxDigits}}$`).test(text)) {
    throw invalidInput("InvalidNumber", `expected a whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
