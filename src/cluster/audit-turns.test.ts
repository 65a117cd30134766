import { describe, expect, it } from "vitest";
import { AuditTurns } from "./audit-turns.ts";

describe("AuditTurns", () => {
  it("grants one turn at a time, first come first served", () => {
    const turns = new AuditTurns();
    const [a, b, c] = [{}, {}, {}];
    const granted: string[] = [];
    turns.request(a, () => granted.push("a"));
    turns.request(b, () => granted.push("b"));
    turns.request(c, () => granted.push("c"));
    expect(granted).toEqual(["a"]);
    turns.release(b);
    expect(granted).toEqual(["a"]);
    turns.release(a);
    expect(granted).toEqual(["a", "b"]);
    turns.release(b);
    expect(granted).toEqual(["a", "b", "c"]);
  });

  it("takes the turn back from an owner that is gone, and drops its requests", () => {
    const turns = new AuditTurns();
    const [dead, alive] = [{}, {}];
    const granted: string[] = [];
    turns.request(dead, () => granted.push("dead"));
    turns.request(alive, () => granted.push("alive"));
    turns.request(dead, () => granted.push("dead again"));
    turns.forget(dead);
    expect(granted).toEqual(["dead", "alive"]);
    turns.release(alive);
    expect(granted).toEqual(["dead", "alive"]);
  });

  it("runs the primary's own commits in turns too, and frees the turn when one fails", async () => {
    const turns = new AuditTurns();
    const worker = {};
    let workerHasTurn = false;
    turns.request(worker, () => (workerHasTurn = true));
    const order: string[] = [];
    const own = turns.exclusive(async () => {
      order.push("primary");
      return Promise.reject(new Error("disk full"));
    });
    expect(order).toEqual([]);
    expect(workerHasTurn).toBe(true);
    turns.release(worker);
    await expect(own).rejects.toThrow("disk full");
    await expect(turns.exclusive(() => Promise.resolve("next"))).resolves.toBe("next");
    expect(order).toEqual(["primary"]);
  });
});
