import { createElement as h, useMemo, type ReactNode } from "react";
import { Lexer } from "marked";
import { nestsTooDeep } from "./markdown-nesting.ts";
import { renderBlocks } from "./render-markdown.ts";

/**
 * A Markdown document (GitHub-flavoured) shown safely: lexed by marked, rendered element by
 * element (render-markdown.ts), never as HTML. A document nested too deep to lex in reasonable
 * time, or one the lexer fails on, is shown as plain text.
 */
export function MarkdownView({
  source,
  headingOffset,
}: {
  readonly source: string;
  /** Added to heading levels, so that the document's `#` sits below the page's own headings. */
  readonly headingOffset: number;
}): ReactNode {
  const rendered = useMemo(() => {
    if (nestsTooDeep(source)) return null;
    try {
      return renderBlocks(new Lexer({ gfm: true, breaks: false }).lex(source), {
        headingOffset,
        depth: 0,
        inLink: false,
      });
    } catch {
      return null;
    }
  }, [source, headingOffset]);
  return h("div", { className: "markdown" }, rendered ?? h("pre", { className: "md-plain" }, source));
}
