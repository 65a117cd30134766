import type { Value } from "./query-value.ts";

/** A JSON value with the positions of its parts: strings decoded, arrays of strings kept, the rest typed. */
export type JsonValue =
  | { readonly kind: "string"; readonly position: number; readonly value: Value }
  | { readonly kind: "array"; readonly position: number; readonly items: readonly JsonValue[] }
  | { readonly kind: "other"; readonly position: number; readonly type: string };

export interface JsonMember {
  readonly key: string;
  readonly position: number;
  readonly value: JsonValue;
}

const JSON_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function isJsonSpace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r";
}

export function skipJsonWhitespace(text: string, from: number): number {
  let i = from;
  while (isJsonSpace(text[i])) i++;
  return i;
}

/** Walks text that JSON.parse accepted, so it can trust the syntax and only track positions. */
export class JsonScanner {
  readonly #text: string;
  #i = 0;

  constructor(text: string) {
    this.#text = text;
  }

  /** The members of the top-level object. */
  object(): JsonMember[] {
    this.#i = skipJsonWhitespace(this.#text, 0) + 1;
    const members: JsonMember[] = [];
    for (;;) {
      this.#skipSeparators();
      if (this.#text[this.#i] !== '"') return members;
      const position = this.#i;
      const key = this.#string().text;
      this.#skipSeparators();
      members.push({ key, position, value: this.#value(true) });
    }
  }

  /** Whitespace, commas and colons: the scanner needs no more of the structure than that. */
  #skipSeparators(): void {
    for (;;) {
      this.#i = skipJsonWhitespace(this.#text, this.#i);
      if (this.#text[this.#i] !== "," && this.#text[this.#i] !== ":") return;
      this.#i++;
    }
  }

  #value(arrayOfStrings: boolean): JsonValue {
    const position = this.#i;
    const char = this.#text[position];
    if (char === '"') return { kind: "string", position, value: this.#string() };
    if (char === "[" && arrayOfStrings) {
      this.#i++;
      const items: JsonValue[] = [];
      for (;;) {
        this.#skipSeparators();
        if (this.#text[this.#i] === "]") break;
        items.push(this.#value(false));
      }
      this.#i++;
      return { kind: "array", position, items };
    }
    this.#skipValue();
    const type =
      char === "{"
        ? "an object"
        : char === "["
          ? "an array"
          : char === "t" || char === "f"
            ? "a boolean"
            : char === "n"
              ? "null"
              : "a number";
    return { kind: "other", position, type };
  }

  /** Skips a number, literal, object or array (nested to any depth, without recursion). */
  #skipValue(): void {
    const text = this.#text;
    let depth = 0;
    for (;;) {
      const char = text[this.#i];
      if (char === undefined) return;
      if (char === '"') {
        this.#string();
        if (depth === 0) return;
        continue;
      }
      if (depth === 0 && (char === "," || char === "}" || char === "]" || isJsonSpace(char))) return;
      this.#i++;
      if (char === "{" || char === "[") depth++;
      else if ((char === "}" || char === "]") && --depth === 0) return;
    }
  }

  /** A string from its opening quote, decoded, with the position of every decoded unit. */
  #string(): Value {
    const text = this.#text;
    let decoded = "";
    const offsets: number[] = [];
    let i = this.#i + 1;
    while (text[i] !== '"') {
      offsets.push(i);
      if (text[i] !== "\\") {
        decoded += text[i] ?? "";
        i++;
      } else if (text[i + 1] === "u") {
        decoded += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        decoded += JSON_ESCAPES[text[i + 1] ?? ""] ?? "";
        i += 2;
      }
    }
    const close = i;
    this.#i = i + 1;
    return { text: decoded, positionOf: (k) => offsets[k] ?? close, literal: false };
  }
}
