import type { PositionOf } from "./ip-sort-key.ts";

/** A value with the way back to the query text, so errors inside it point at the character. */
export interface Value {
  readonly text: string;
  readonly positionOf: PositionOf;
  /** Quoted in the text language: `*` is an ordinary character. */
  readonly literal: boolean;
}

/** Only white space (or nothing): an empty value or phrase. */
export function isBlank(text: string): boolean {
  return text.trim() === "";
}
