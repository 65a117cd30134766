/** Deepest nesting of block quotes and lists a README may have to be shown as Markdown. */
export const MAX_MARKDOWN_NESTING = 32;
/** Widest leading indentation (in columns) of a line, for the same reason. */
const MAX_INDENT_COLUMNS = 4 * MAX_MARKDOWN_NESTING;

/** A run of container markers at the start of a line: `>`, `-`, `*`, `+`, `1.`, `1)`. */
const MARKER = /[ \t]*(?:>|[-*+](?=[ \t\r\n]|$)|\d{1,9}[.)](?=[ \t\r\n]|$))/y;

/**
 * Whether the Markdown nests block quotes or lists deeper than MAX_MARKDOWN_NESTING on some
 * line (`> > > …`, `- - - …`, or indentation that deep). The lexer's cost grows much faster than
 * the depth (thousands of levels take seconds, then all memory), so such a document is shown as
 * plain text instead of being lexed. Linear in the length of the text.
 */
export function nestsTooDeep(markdown: string): boolean {
  let lineStart = 0;
  while (lineStart <= markdown.length) {
    const lineEnd = markdown.indexOf("\n", lineStart);
    const end = lineEnd === -1 ? markdown.length : lineEnd;
    let columns = 0;
    for (let index = lineStart; index < end; index++) {
      const char = markdown[index];
      if (char === " ") columns += 1;
      else if (char === "\t") columns += 4;
      else break;
    }
    if (columns > MAX_INDENT_COLUMNS) return true;
    let markers = 0;
    MARKER.lastIndex = lineStart;
    while (MARKER.lastIndex < end && MARKER.test(markdown)) {
      markers += 1;
      if (markers > MAX_MARKDOWN_NESTING) return true;
    }
    if (lineEnd === -1) break;
    lineStart = lineEnd + 1;
  }
  return false;
}
