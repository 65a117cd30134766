import { AuditQueryError } from "./audit-query.ts";
import type { PositionOf } from "./ip-sort-key.ts";

/** Control characters are refused (logs and terminals would render them); so are lone surrogates. */
export function checkCharacters(text: string, positionOf: PositionOf, allowLineBreaks: boolean): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      if (code === 0x09 || (allowLineBreaks && (code === 0x0a || code === 0x0d))) continue;
      const name = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
      throw AuditQueryError.at(
        positionOf(i),
        `control character ${name} not allowed`,
        "a query is one line; separate terms with spaces",
      );
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else throw AuditQueryError.at(positionOf(i), "unpaired UTF-16 surrogate");
    }
  }
}
