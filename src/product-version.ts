import fs from "node:fs";

/**
 * The version of this build, from package.json: one level above this file both in src/ (run by
 * the tests) and in dist/ (the compiled server).
 */
export const PRODUCT_VERSION: string = (
  JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
