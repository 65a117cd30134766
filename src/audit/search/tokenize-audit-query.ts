import { AuditQueryError, quoteForMessage } from "./audit-query.ts";
import { auditQueryQualifiers, type Qualifier } from "./audit-query-qualifiers.ts";
import type { PositionOf } from "./ip-sort-key.ts";
import { isBlank, type Value } from "./query-value.ts";

/** The tokens of the text language; the grammar over them is in parse-audit-query.ts. */
export type Token =
  | { readonly kind: "(" | ")" | "OR" | "AND" | "-"; readonly position: number }
  | { readonly kind: "qualifier"; readonly position: number; readonly name: Qualifier; readonly value: Value }
  | { readonly kind: "word"; readonly position: number; readonly text: string }
  | { readonly kind: "phrase"; readonly position: number; readonly value: Value };

const QUALIFIER_NAME = /^[A-Za-z_]+$/;

function isQualifier(name: string): name is Qualifier {
  return (auditQueryQualifiers as readonly string[]).includes(name);
}

/** Any Unicode white space separates terms (U+3000 too), as a reader would expect. */
function isSpace(char: string | undefined): boolean {
  return char !== undefined && WHITE_SPACE.test(char);
}

const WHITE_SPACE = /^\s$/u;

/** Ends a word: spaces, parentheses, and quotes (which must open a whole term). */
function endsWord(char: string | undefined): boolean {
  return char === undefined || isSpace(char) || char === "(" || char === ")" || char === '"';
}

/**
 * Splits the query into tokens. `map` turns an index in `text` into a position in the query the
 * user wrote (not the identity for a JSON filter's `q`).
 */
export function tokenizeAuditQuery(text: string, map: PositionOf): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (isSpace(char)) {
      i++;
    } else if (char === "(" || char === ")") {
      tokens.push({ kind: char, position: map(i) });
      i++;
    } else if (char === '"') {
      const quoted = readQuoted(text, i, map);
      if (isBlank(quoted.value.text)) throw AuditQueryError.at(map(i), "empty phrase");
      tokens.push({ kind: "phrase", position: map(i), value: quoted.value });
      i = afterClosingQuote(text, quoted.end, map);
    } else if (char === "-") {
      const next = text[i + 1];
      if (next === undefined || isSpace(next) || next === ")") throw minusAlone(map(i));
      tokens.push({ kind: "-", position: map(i) });
      i++;
    } else {
      i = readWord(text, i, map, tokens);
    }
  }
  return tokens;
}

export function minusAlone(position: number): AuditQueryError {
  return AuditQueryError.at(
    position,
    "- must be followed by a term",
    'write -word, -qualifier:value, -"a phrase" or -(a group), without a space',
  );
}

/** A keyword, a qualifier (`name:value`, `name:"value"`) or a free-text word; returns where it ends. */
function readWord(text: string, start: number, map: PositionOf, tokens: Token[]): number {
  let end = start;
  while (!endsWord(text[end])) end++;
  const word = text.slice(start, end);
  const colon = word.indexOf(":");
  // `name:` makes a qualifier, unless it is a URL scheme (`https://…` is searched as text).
  const qualifier =
    colon > 0 && QUALIFIER_NAME.test(word.slice(0, colon)) && !word.startsWith("//", colon + 1);
  if (!qualifier) {
    if (text[end] === '"') throw unexpectedQuote(map(end));
    if (word === "OR" || word === "AND") tokens.push({ kind: word, position: map(start) });
    else tokens.push({ kind: "word", position: map(start), text: word });
    return end;
  }
  const written = word.slice(0, colon);
  const name = written.toLowerCase();
  if (!isQualifier(name)) {
    throw AuditQueryError.at(
      map(start),
      `unknown qualifier ${quoteForMessage(written)}`,
      `known: ${auditQueryQualifiers.join(", ")}; to search for text with a colon, put it in double quotes`,
    );
  }
  const valueStart = start + colon + 1;
  if (valueStart < end) {
    if (text[end] === '"') throw unexpectedQuote(map(end));
    const value: Value = {
      text: word.slice(colon + 1),
      positionOf: (k) => map(valueStart + k),
      literal: false,
    };
    tokens.push({ kind: "qualifier", position: map(start), name, value });
    return end;
  }
  if (text[end] !== '"') {
    throw AuditQueryError.at(
      map(valueStart),
      `missing value after ${name}:`,
      text[end] === "("
        ? `a qualifier takes one value; write (${name}:a OR ${name}:b)`
        : `write ${name}:value, or ${name}:"a value" with spaces`,
    );
  }
  const quoted = readQuoted(text, end, map);
  if (isBlank(quoted.value.text)) throw AuditQueryError.at(map(end), `empty value for ${name}:`);
  tokens.push({ kind: "qualifier", position: map(start), name, value: quoted.value });
  return afterClosingQuote(text, quoted.end, map);
}

function unexpectedQuote(position: number): AuditQueryError {
  return AuditQueryError.at(position, 'unexpected "', 'put the whole term in quotes: "a b", or name:"a b"');
}

/** A quoted string from its opening quote: `\"` and `\\` are the only escapes. */
function readQuoted(text: string, open: number, map: PositionOf): { value: Value; end: number } {
  let decoded = "";
  const offsets: number[] = [];
  let i = open + 1;
  while (i < text.length) {
    const char = text[i] ?? "";
    if (char === '"') {
      const close = i;
      const positionOf: PositionOf = (k) => map(offsets[k] ?? close);
      return { value: { text: decoded, positionOf, literal: true }, end: i + 1 };
    }
    if (char === "\\") {
      const next = text[i + 1];
      if (next === undefined) break;
      if (next !== '"' && next !== "\\") {
        throw AuditQueryError.at(
          map(i),
          `unknown escape \\${next}`,
          'inside quotes only \\" and \\\\ are escapes',
        );
      }
      offsets.push(i);
      decoded += next;
      i += 2;
    } else {
      offsets.push(i);
      decoded += char;
      i++;
    }
  }
  throw AuditQueryError.at(map(open), "unterminated quote opened", 'close it with "');
}

/** A closing quote must end the term: `"a"b` is more likely a typo than two terms. */
function afterClosingQuote(text: string, end: number, map: PositionOf): number {
  const next = text[end];
  if (next !== undefined && !isSpace(next) && next !== "(" && next !== ")") {
    throw AuditQueryError.at(
      map(end),
      `unexpected ${quoteForMessage(next)} after a closing quote`,
      "separate terms with a space",
    );
  }
  return end;
}
