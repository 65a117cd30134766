/** The named character references READMEs use; others are left as written. */
const NAMED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  trade: "™",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  laquo: "«",
  raquo: "»",
  middot: "·",
  times: "×",
  larr: "←",
  rarr: "→",
  uarr: "↑",
  darr: "↓",
  check: "✓",
  hearts: "♥",
  star: "☆",
  bull: "•",
  deg: "°",
  euro: "€",
  pound: "£",
  yen: "¥",
  sect: "§",
  para: "¶",
  shy: "\u00ad",
  zwj: "\u200d",
  zwnj: "\u200c",
};

const REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));/g;

/**
 * Text as Markdown means it: the lexer keeps character references (`&amp;`, `&#169;`) as written,
 * and an HTML renderer would leave them to the browser; React renders text as is, so they are
 * decoded here. A reference to no character (NUL, a surrogate, beyond U+10FFFF) becomes U+FFFD.
 */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(REFERENCE, (whole, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? whole;
    const code = decimal === undefined ? Number.parseInt(hex ?? "", 16) : Number.parseInt(decimal, 10);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
    return String.fromCodePoint(code);
  });
}
