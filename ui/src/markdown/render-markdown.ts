import { createElement as h, type ReactNode } from "react";
import type { Token, Tokens } from "marked";
import { decodeEntities } from "./decode-entities.ts";
import { safeLinkUrl } from "./safe-link-url.ts";

export interface MarkdownContext {
  /** Added to a heading's level: 2 makes the document's `#` an h3. Levels stop at h6. */
  readonly headingOffset: number;
  /** How deep in the token tree we are; past MAX_DEPTH, the rest is shown as its source text. */
  readonly depth: number;
  /** Inside a link: no link (or image link) in a link. */
  readonly inLink: boolean;
}

const MAX_DEPTH = 100;
const LINK_REL = "noopener noreferrer nofollow";

/**
 * Markdown tokens (marked's lexer) as React elements: the markup is built here, element by element
 * (plain `createElement`, so that the renderer is testable outside the dashboard's build), and
 * every text goes in as text, so nothing in a README becomes HTML. Raw HTML is shown as the text it
 * is; links go only to http:, https: and mailto: URLs; images are links to them.
 */
export function renderBlocks(tokens: readonly Token[], context: MarkdownContext): ReactNode[] {
  return tokens.map((token, index) => renderBlock(token, index, context));
}

function renderBlock(token: Token, key: number, context: MarkdownContext): ReactNode {
  if (context.depth > MAX_DEPTH) return token.raw;
  const inner: MarkdownContext = { ...context, depth: context.depth + 1 };
  const t = token as Tokens.Generic;
  switch (t.type) {
    case "space":
    case "def":
      return null;
    case "heading": {
      const heading = token as Tokens.Heading;
      const level = Math.min(Math.max(heading.depth, 1) + context.headingOffset, 6);
      return h(`h${String(level)}`, { key }, renderInline(heading.tokens, inner));
    }
    case "paragraph":
      return h("p", { key }, renderInline((token as Tokens.Paragraph).tokens, inner));
    case "text": {
      // Block-level text: the content of a tight list item.
      const text = token as Tokens.Text;
      return h(
        "span",
        { key },
        text.tokens === undefined ? decodeEntities(text.text) : renderInline(text.tokens, inner),
      );
    }
    case "code": {
      const code = token as Tokens.Code;
      const lang = code.lang?.split(/\s/, 1)[0] ?? "";
      return h(
        "pre",
        { key, className: "md-code" },
        h("code", lang === "" ? null : { "data-lang": lang }, code.text),
      );
    }
    case "blockquote":
      return h("blockquote", { key }, renderBlocks((token as Tokens.Blockquote).tokens, inner));
    case "list":
      return renderList(token as Tokens.List, key, inner);
    case "table":
      return renderTable(token as Tokens.Table, key, inner);
    case "hr":
      return h("hr", { key });
    case "html":
      return h("pre", { key, className: "md-html" }, h("code", null, (token as Tokens.HTML).text));
    default:
      return h("p", { key }, t.raw);
  }
}

function renderList(list: Tokens.List, key: number, context: MarkdownContext): ReactNode {
  const items = list.items.map((item, index) =>
    h(
      "li",
      { key: index, className: item.task ? "md-task" : undefined },
      item.task
        ? h(
            "span",
            { className: "md-task-box", role: "img", "aria-label": item.checked === true ? "done" : "to do" },
            item.checked === true ? "☑ " : "☐ ",
          )
        : null,
      renderBlocks(
        item.tokens.filter((token) => token.type !== "checkbox"),
        { ...context, depth: context.depth + 1 },
      ),
    ),
  );
  if (!list.ordered) return h("ul", { key }, items);
  const start = typeof list.start === "number" && list.start !== 1 ? list.start : undefined;
  return h("ol", { key, start }, items);
}

/** A table scrolls sideways on a narrow screen, in a focusable named region (like TableScroll). */
function renderTable(table: Tokens.Table, key: number, context: MarkdownContext): ReactNode {
  const align = (value: "center" | "left" | "right" | null): string | undefined =>
    value === null ? undefined : `md-align-${value}`;
  return h(
    "div",
    {
      key,
      className: "table-scroll",
      role: "region",
      "aria-label": tableLabel(table),
      tabIndex: 0,
    },
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          table.header.map((cell, index) =>
            h(
              "th",
              { key: index, scope: "col", className: align(cell.align) },
              renderInline(cell.tokens, context),
            ),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        table.rows.map((row, rowIndex) =>
          h(
            "tr",
            { key: rowIndex },
            row.map((cell, index) =>
              h("td", { key: index, className: align(cell.align) }, renderInline(cell.tokens, context)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A table's region is named by its columns ("Table: Name, Size"), as a reader would tell tables apart. */
function tableLabel(table: Tokens.Table): string {
  const columns = table.header.map((cell) => decodeEntities(cell.text).trim()).join(", ");
  return `Table: ${columns.length > 80 ? `${columns.slice(0, 80)}…` : columns}`;
}

function renderInline(tokens: readonly Token[], context: MarkdownContext): ReactNode[] {
  return tokens.map((token, index) => renderSpan(token, index, context));
}

function renderSpan(token: Token, key: number, context: MarkdownContext): ReactNode {
  if (context.depth > MAX_DEPTH) return token.raw;
  const inner: MarkdownContext = { ...context, depth: context.depth + 1 };
  const t = token as Tokens.Generic;
  switch (t.type) {
    case "text": {
      const text = token as Tokens.Text;
      return text.tokens === undefined || text.tokens.length === 0
        ? decodeEntities(text.text)
        : h("span", { key }, renderInline(text.tokens, inner));
    }
    case "escape":
      return (token as Tokens.Escape).text;
    case "strong":
      return h("strong", { key }, renderInline((token as Tokens.Strong).tokens, inner));
    case "em":
      return h("em", { key }, renderInline((token as Tokens.Em).tokens, inner));
    case "del":
      return h("del", { key }, renderInline((token as Tokens.Del).tokens, inner));
    case "codespan":
      return h("code", { key }, (token as Tokens.Codespan).text);
    case "br":
      return h("br", { key });
    case "link": {
      const link = token as Tokens.Link;
      const label = renderInline(link.tokens, { ...inner, inLink: true });
      const href = context.inLink ? null : safeLinkUrl(decodeEntities(link.href), "link");
      if (href === null) return h("span", { key }, label);
      return h("a", { key, href, rel: LINK_REL, target: "_blank", title: titleOf(link.title) }, label);
    }
    case "image": {
      const image = token as Tokens.Image;
      const alt = decodeEntities(image.text);
      const href = context.inLink ? null : safeLinkUrl(decodeEntities(image.href), "image");
      if (href === null) return h("span", { key }, alt);
      return h(
        "a",
        {
          key,
          href,
          rel: LINK_REL,
          target: "_blank",
          className: "md-image-link",
          title: titleOf(image.title),
        },
        alt === "" ? "Image" : `Image: ${alt}`,
      );
    }
    case "html":
      return h("code", { key, className: "md-html" }, (token as Tokens.HTML).text);
    default:
      return t.raw;
  }
}

function titleOf(title: string | null | undefined): string | undefined {
  return title === null || title === undefined || title === "" ? undefined : decodeEntities(title);
}
