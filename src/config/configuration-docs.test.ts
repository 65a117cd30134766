import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "./config-schema.ts";

describe("docs/configuration.md", () => {
  it("documents every setting of the schema", () => {
    const docs = fs.readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const name of Object.keys(configSchema.shape)) {
      expect(docs, `${name} is not documented`).toContain(`\`${name}\``);
    }
  });
});
