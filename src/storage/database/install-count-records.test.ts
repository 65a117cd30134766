import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { InstallCountRecords } from "./install-count-records.ts";

const widget1 = { packageName: "acme/widget", versionNormalized: "1.0.0.0" };
const widget2 = { packageName: "acme/widget", versionNormalized: "2.0.0.0" };
const gadget = { packageName: "acme/gadget", versionNormalized: "dev-main" };

describe.each(testEngines())("InstallCountRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<InstallCountRecords> {
    handle = await createTestDatabase(engine);
    return new InstallCountRecords(handle.db);
  }

  async function rows(): Promise<unknown[]> {
    if (handle === undefined) throw new Error("no database");
    return handle.db
      .selectFrom("install_counts")
      .selectAll()
      .orderBy("package_name")
      .orderBy("version_normalized")
      .orderBy("day")
      .execute();
  }

  it("has no totals before any install", async () => {
    const counts = await open();
    expect(await counts.totals()).toEqual([]);
    expect(await counts.totals("acme/widget")).toEqual([]);
  });

  it("ignores an empty batch", async () => {
    const counts = await open();
    await counts.add([], "2026-01-01");
    expect(await rows()).toEqual([]);
  });

  it("counts installs per version and UTC day, including repeats within one batch", async () => {
    const counts = await open();
    await counts.add([widget1, widget1, widget2, gadget], "2026-01-01");
    await counts.add([widget1], "2026-01-01");
    await counts.add([widget1, gadget], "2026-01-02");
    expect(await rows()).toEqual([
      { package_name: "acme/gadget", version_normalized: "dev-main", day: "2026-01-01", count: 1 },
      { package_name: "acme/gadget", version_normalized: "dev-main", day: "2026-01-02", count: 1 },
      { package_name: "acme/widget", version_normalized: "1.0.0.0", day: "2026-01-01", count: 3 },
      { package_name: "acme/widget", version_normalized: "1.0.0.0", day: "2026-01-02", count: 1 },
      { package_name: "acme/widget", version_normalized: "2.0.0.0", day: "2026-01-01", count: 1 },
    ]);
  });

  it("aggregates totals per version across days, as numbers, optionally for one package", async () => {
    const counts = await open();
    await counts.add([widget1, widget1, widget2, gadget], "2026-01-01");
    await counts.add([widget1, gadget, gadget], "2026-01-02");
    await counts.add([widget1], "2026-01-03");

    const all = await counts.totals();
    expect(all).toEqual([
      { packageName: "acme/gadget", versionNormalized: "dev-main", count: 3 },
      { packageName: "acme/widget", versionNormalized: "1.0.0.0", count: 4 },
      { packageName: "acme/widget", versionNormalized: "2.0.0.0", count: 1 },
    ]);
    for (const total of all) expect(typeof total.count).toBe("number");
    expect(await counts.totals("acme/widget")).toEqual([
      { packageName: "acme/widget", versionNormalized: "1.0.0.0", count: 4 },
      { packageName: "acme/widget", versionNormalized: "2.0.0.0", count: 1 },
    ]);
    expect(await counts.totals("acme/absent")).toEqual([]);
  });

  it("loses no install under concurrent batches", async () => {
    const counts = await open();
    await Promise.all(Array.from({ length: 10 }, () => counts.add([widget1, widget2], "2026-01-01")));
    expect(await counts.totals()).toEqual([
      { packageName: "acme/widget", versionNormalized: "1.0.0.0", count: 10 },
      { packageName: "acme/widget", versionNormalized: "2.0.0.0", count: 10 },
    ]);
  });

  it("totals installs per package, for the packages asked about", async () => {
    const counts = await open();
    await counts.add([widget1, widget1, widget2, gadget], "2026-01-01");
    await counts.add([widget2, gadget], "2026-01-02");
    expect(await counts.packageTotals(["acme/widget", "acme/gadget", "acme/absent"])).toEqual(
      new Map([
        ["acme/widget", 4],
        ["acme/gadget", 2],
      ]),
    );
    expect(await counts.packageTotals(["acme/gadget"])).toEqual(new Map([["acme/gadget", 2]]));
    expect(await counts.packageTotals([])).toEqual(new Map());
    const [total] = (await counts.packageTotals(["acme/widget"])).values();
    expect(typeof total).toBe("number");
  });

  it("counts installs per UTC day within a range, for a package or one version", async () => {
    const counts = await open();
    await counts.add([widget1, widget2, widget2, gadget], "2025-12-31");
    await counts.add([widget1, widget1], "2026-01-01");
    await counts.add([widget2], "2026-01-03");
    await counts.add([widget1], "2026-01-05");
    expect(await counts.daily("acme/widget", { from: "2026-01-01", to: "2026-01-04" })).toEqual([
      { day: "2026-01-01", count: 2 },
      { day: "2026-01-03", count: 1 },
    ]);
    expect(await counts.daily("acme/widget", { from: "2025-12-31", to: "2026-01-05" })).toEqual([
      { day: "2025-12-31", count: 3 },
      { day: "2026-01-01", count: 2 },
      { day: "2026-01-03", count: 1 },
      { day: "2026-01-05", count: 1 },
    ]);
    expect(
      await counts.daily("acme/widget", {
        from: "2025-12-31",
        to: "2026-01-05",
        versionNormalized: "2.0.0.0",
      }),
    ).toEqual([
      { day: "2025-12-31", count: 2 },
      { day: "2026-01-03", count: 1 },
    ]);
    expect(await counts.daily("acme/gadget", { from: "2026-01-01", to: "2026-01-31" })).toEqual([]);
    for (const row of await counts.daily("acme/widget", { from: "2025-01-01", to: "2026-12-31" })) {
      expect(typeof row.count).toBe("number");
    }
  });
});
