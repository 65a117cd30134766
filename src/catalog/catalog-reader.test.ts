import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/support/test-databases.ts";
import { createAccessGrant } from "../access/access-grant.ts";
import type { VersionEntry } from "../composer/json-value.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { CatalogRecords } from "../storage/database/catalog-records.ts";
import { CatalogReader } from "./catalog-reader.ts";
import type { ProxiedCatalog, ProxiedDocument } from "./proxied-catalog.ts";

const grant = createAccessGrant({
  tokenId: "tok_1",
  fingerprint: "fp",
  scopes: ["read"],
  packagePatterns: [],
});

/** A proxied catalog whose one package's stamp the test sets, counting the renders. */
function proxiedCatalog(): {
  catalog: ProxiedCatalog;
  renders: () => number;
  change: (stamp: string) => void;
} {
  let stamp = "up_1 2026-11-27T10:00:00.000Z";
  let renders = 0;
  const document = (): ProxiedDocument => {
    const seen = stamp;
    return {
      changedAt: "2026-11-27T10:00:00.000Z",
      stamp: seen,
      entries: () => {
        renders += 1;
        const entry: VersionEntry = { name: "acme/lib", version: "1.0.0", description: seen };
        return Promise.resolve([entry]);
      },
    };
  };
  return {
    catalog: {
      packagePatterns: () => Promise.resolve(["acme/*"]),
      p2: (name) => Promise.resolve(name === "acme/lib" ? document() : null),
      dist: () => Promise.resolve(null),
    },
    renders: () => renders,
    change: (next) => {
      stamp = next;
    },
  };
}

describe("CatalogReader: proxied p2 documents", () => {
  let database: DatabaseHandle;

  beforeEach(async () => {
    database = await createTestDatabase("sqlite");
  });

  afterEach(async () => {
    await database.close();
  });

  it("renders a proxied document once per stamp, and again when the stamp changes", async () => {
    const proxied = proxiedCatalog();
    const reader = new CatalogReader({
      records: new CatalogRecords(database.db),
      baseUrl: "http://broker.test",
      proxy: proxied.catalog,
    });
    const first = await reader.p2("acme/lib", false, grant);
    const again = await reader.p2("acme/lib", false, grant);
    expect(proxied.renders()).toBe(1);
    expect(again).toBe(first);
    proxied.change("up_2 2026-11-27T10:00:00.000Z");
    const changed = await reader.p2("acme/lib", false, grant);
    expect(proxied.renders()).toBe(2);
    expect(changed).not.toBe(first);
  });
});
