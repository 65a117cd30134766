import { describe, expect, it } from "vitest";
import { newId, pooledRandom } from "./new-id.ts";

describe("newId", () => {
  it("makes distinct ULIDs across pool refills", () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("sorts in the order the ids were made, within one millisecond too", () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    expect([...ids].sort()).toEqual(ids);
  });

  it("draws values in [0, 1)", () => {
    for (let i = 0; i < 3000; i += 1) {
      const value = pooledRandom();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
