/** Schemes a README link may use; anything else (javascript:, data:, vbscript:, file:, …) is text. */
const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
/** Images are shown as links to them (the dashboard loads no image from elsewhere): web URLs only. */
const IMAGE_SCHEMES = new Set(["http:", "https:"]);

/**
 * The absolute URL a README link or image may point at, or null when it must be shown as text:
 * relative links (they point into a repository the dashboard does not serve), and any scheme but
 * http:, https: (and mailto: for links). The URL is parsed as the browser will parse it, so what is
 * checked is what the browser would follow.
 */
export function safeLinkUrl(href: string, kind: "link" | "image"): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  return (kind === "link" ? LINK_SCHEMES : IMAGE_SCHEMES).has(url.protocol) ? url.href : null;
}
