import fs from "node:fs";
import path from "node:path";

/** `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"` of a built chunk. */
const STATIC_IMPORT = /(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+\.js)["']/g;
const ENTRY_SCRIPT = /<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/g;
const MODULE_PRELOAD = /<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g;

/**
 * The JavaScript files a first visit loads: index.html's module scripts and modulepreloads, and
 * every chunk they import statically (dynamic imports load later, on demand). Paths are inside
 * `buildDirectory`, which is served under `base`.
 */
export function firstLoadScripts(buildDirectory: string, base: string): string[] {
  const html = fs.readFileSync(path.join(buildDirectory, "index.html"), "utf8");
  const pending = [...html.matchAll(ENTRY_SCRIPT), ...html.matchAll(MODULE_PRELOAD)].map((match) => {
    const url = match[1] ?? "";
    if (!url.startsWith(base)) throw new Error(`${url} is not under ${base}`);
    return path.join(buildDirectory, url.slice(base.length));
  });
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() ?? "";
    if (seen.has(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(file, "utf8");
    for (const match of code.matchAll(STATIC_IMPORT)) {
      pending.push(path.resolve(path.dirname(file), match[1] ?? ""));
    }
  }
  return [...seen];
}
