import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { decodeEntities } from "../../ui/src/markdown/decode-entities.ts";
import { MarkdownView } from "../../ui/src/markdown/markdown-view.ts";
import { nestsTooDeep } from "../../ui/src/markdown/markdown-nesting.ts";
import { safeLinkUrl } from "../../ui/src/markdown/safe-link-url.ts";

const render = (source: string, headingOffset = 2): string =>
  renderToStaticMarkup(createElement(MarkdownView, { source, headingOffset }));

/** The attributes of every element in the markup, for checks that no handler or URL slipped in. */
const attributes = (html: string): string[] =>
  [...html.matchAll(/<[a-z0-9]+(\s[^>]*)?>/g)].map((m) => m[1] ?? "");

describe("MarkdownView", () => {
  it("renders headings below the page's levels, paragraphs and inline styles", () => {
    expect(render("# Title\n\n## Part\n\n###### Deep\n\nSome *em*, **strong**, ~~gone~~ and `a<b>`.")).toBe(
      '<div class="markdown"><h3>Title</h3><h4>Part</h4><h6>Deep</h6>' +
        "<p>Some <em>em</em>, <strong>strong</strong>, <del>gone</del> and <code>a&lt;b&gt;</code>.</p></div>",
    );
    expect(render("# One", 0)).toBe('<div class="markdown"><h1>One</h1></div>');
  });

  it("renders fenced code, block quotes, lists, task lists, tables, rules and line breaks", () => {
    const html = render(
      [
        "```php",
        "<?php echo '<b>';",
        "```",
        "",
        "> quoted",
        "",
        "- one",
        "- two",
        "",
        "3. three",
        "4. four",
        "",
        "- [x] done",
        "- [ ] to do",
        "",
        "| Name | Size |",
        "|:-----|-----:|",
        "| a    | `1`  |",
        "",
        "---",
        "",
        "line  ",
        "break",
      ].join("\n"),
    );
    expect(html).toContain(
      '<pre class="md-code"><code data-lang="php">&lt;?php echo &#x27;&lt;b&gt;&#x27;;</code></pre>',
    );
    expect(html).toContain("<blockquote><p>quoted</p></blockquote>");
    expect(html).toContain("<ul><li><span>one</span></li><li><span>two</span></li></ul>");
    expect(html).toContain('<ol start="3"><li><span>three</span></li><li><span>four</span></li></ol>');
    expect(html).toContain(
      '<li class="md-task"><span class="md-task-box" role="img" aria-label="done">☑ </span>',
    );
    expect(html).toContain('aria-label="to do"');
    expect(html).toContain(
      '<thead><tr><th scope="col" class="md-align-left">Name</th><th scope="col" class="md-align-right">Size</th></tr></thead>' +
        '<tbody><tr><td class="md-align-left">a</td><td class="md-align-right"><code>1</code></td></tr></tbody>',
    );
    expect(html).toContain(
      '<div class="table-scroll" role="region" aria-label="Table: Name, Size" tabindex="0">',
    );
    expect(html).toContain("<hr/>");
    expect(html).toContain("<p>line<br/>break</p>");
  });

  it("links only to http:, https: and mailto: URLs, with a safe rel and a new tab", () => {
    const html = render(
      "[site](https://example.com/a?b=1&amp;c=2) [mail](mailto:a@example.com) <https://auto.example>",
    );
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">site</a>',
    );
    expect(html).toContain(
      '<a href="mailto:a@example.com" rel="noopener noreferrer nofollow" target="_blank">mail</a>',
    );
    expect(html).toContain('href="https://auto.example/"');
  });

  it("shows javascript:, data:, vbscript: and relative links as text", () => {
    const hostile = [
      "[a](javascript:alert(1))",
      "[b](JaVaScRiPt:alert(1))",
      "[c](java\tscript:alert(1))",
      "[d](&#106;avascript:alert(1))",
      "[e](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "[f](vbscript:msgbox)",
      "[g](docs/guide.md)",
      "[h](#install)",
      "[i](//evil.example/x)",
      "[j]: javascript:alert(2)\n\n[ref][j]",
    ].join("\n\n");
    const html = render(hostile);
    expect(html).not.toContain("<a");
    expect(html).not.toContain("href");
    // "c" is no link in Markdown at all (a tab in a destination): it stays its source text.
    for (const label of ["a", "b", "d", "e", "f", "g", "h", "i", "ref"]) {
      expect(html).toContain(`<span>${label}</span>`);
    }
  });

  it("shows raw HTML as escaped text: no script, no handler, no element from the README", () => {
    const html = render(
      [
        "<script>alert(1)</script>",
        "",
        'Inline <img src=x onerror="alert(1)"> and <a href="javascript:alert(1)">x</a>.',
        "",
        '<div onmouseover="alert(1)">block</div>',
        "",
        '<iframe src="https://evil.example"></iframe>',
      ].join("\n"),
    );
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(html).not.toMatch(/<(script|img|iframe|div onmouseover|a )/i);
    for (const attribute of attributes(html)) {
      expect(attribute).not.toMatch(/\bon[a-z]+=|javascript:|\bsrc=|\bstyle=/i);
    }
  });

  it("shows images as links to them, never as <img>, and only for web URLs", () => {
    const html = render(
      '![Logo](https://example.com/logo.png "The logo") ![pixel](data:image/png;base64,AAAA) ![](http://x.example/y.svg)',
    );
    expect(html).not.toContain("<img");
    expect(html).toContain(
      '<a href="https://example.com/logo.png" rel="noopener noreferrer nofollow" target="_blank" class="md-image-link" title="The logo">Image: Logo</a>',
    );
    expect(html).toContain("<span>pixel</span>");
    expect(html).not.toContain("data:");
    expect(html).toContain('href="http://x.example/y.svg"');
    // A badge: an image inside a link is its alt text, so no link nests in another.
    const badge = render("[![build](https://ci.example/badge.svg)](https://ci.example/job)");
    expect(badge).toContain(
      '<a href="https://ci.example/job" rel="noopener noreferrer nofollow" target="_blank"><span>build</span></a>',
    );
  });

  it("decodes character references in text but keeps code as written", () => {
    expect(render("Tom &amp; Jerry &copy; &#x1F600; &bogus; `&amp;`")).toBe(
      '<div class="markdown"><p>Tom &amp; Jerry © 😀 &amp;bogus; <code>&amp;amp;</code></p></div>',
    );
  });

  it("shows deeply nested quotes and lists as plain text rather than lexing them", () => {
    for (const source of [
      `${"> ".repeat(5000)}deep`,
      Array.from({ length: 3000 }, (_, i) => `${"  ".repeat(i)}- item`).join("\n"),
      `${"- ".repeat(5000)}x`,
      `${"1. ".repeat(5000)}x`,
    ]) {
      const html = render(source);
      expect(html.startsWith('<div class="markdown"><pre class="md-plain">')).toBe(true);
    }
    // Nesting within reason is rendered as Markdown.
    const nested = render(`${"> ".repeat(20)}fine`);
    expect(nested.match(/<blockquote>/g)).toHaveLength(20);
    const list = render(Array.from({ length: 20 }, (_, i) => `${"  ".repeat(i)}- level ${i}`).join("\n"));
    expect(list.match(/<ul>/g)).toHaveLength(20);
  });

  it("renders a 500 KB README", () => {
    const section = "## Section\n\nSome text with a [link](https://example.com) and `code`.\n\n- a\n- b\n\n";
    const source = section.repeat(Math.ceil((500 * 1024) / section.length));
    const html = render(source);
    expect(html.match(/<h4>/g)?.length).toBe(Math.ceil((500 * 1024) / section.length));
  });
});

describe("safeLinkUrl", () => {
  it("allows absolute http(s) and mailto links, and only http(s) images", () => {
    expect(safeLinkUrl("https://example.com", "link")).toBe("https://example.com/");
    expect(safeLinkUrl("mailto:x@example.com", "link")).toBe("mailto:x@example.com");
    expect(safeLinkUrl("mailto:x@example.com", "image")).toBeNull();
    expect(safeLinkUrl(" \u0000javascript:alert(1)", "link")).toBeNull();
    expect(safeLinkUrl("file:///etc/passwd", "link")).toBeNull();
    expect(safeLinkUrl("relative/path", "link")).toBeNull();
  });
});

describe("nestsTooDeep and decodeEntities", () => {
  it("judge nesting per line, whatever the markers", () => {
    expect(nestsTooDeep("> - > - > x")).toBe(false);
    expect(nestsTooDeep(`text\n${">".repeat(40)} x`)).toBe(true);
    expect(nestsTooDeep(`${" ".repeat(200)}code`)).toBe(true);
    expect(nestsTooDeep("* * *\n- - -\n")).toBe(false);
  });

  it("turns references to no character into U+FFFD", () => {
    expect(decodeEntities("&#0; &#xD800; &#x110000; &lt;")).toBe("\ufffd \ufffd \ufffd <");
  });
});
