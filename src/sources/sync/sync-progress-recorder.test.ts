import { describe, expect, it } from "vitest";
import type { SyncProgress } from "./sync-progress.ts";
import { SyncProgressRecorder } from "./sync-progress-recorder.ts";

const ref = (done: number): SyncProgress => ({ phase: "refs", done, total: 100, ref: `v1.0.${done}` });

/** A write that the test finishes by hand, and the progress written so far. */
function pendingWrites() {
  const written: SyncProgress[] = [];
  const finishers: ((failure?: Error) => void)[] = [];
  const write = (progress: SyncProgress): Promise<void> =>
    new Promise((resolve, reject) => {
      written.push(progress);
      finishers.push((failure) => {
        if (failure === undefined) resolve();
        else reject(failure);
      });
    });
  return { written, finishers, write };
}

describe("SyncProgressRecorder", () => {
  it("writes the first report at once, one write at a time, and then only the latest report", async () => {
    const { written, finishers, write } = pendingWrites();
    const recorder = new SyncProgressRecorder({ write, intervalMs: 0 });
    const report = recorder.listener();
    report({ phase: "fetching" });
    for (let done = 0; done < 50; done += 1) report(ref(done));
    expect(written).toEqual([{ phase: "fetching" }]);

    finishers[0]?.();
    await expect.poll(() => written.length).toBe(2);
    expect(written[1]).toEqual(ref(49));
    finishers[1]?.();
    await recorder.settle();
    expect(written).toHaveLength(2);
  });

  it("writes at most once per interval however often the sync reports", async () => {
    let now = 1_000;
    const written: SyncProgress[] = [];
    const recorder = new SyncProgressRecorder({
      write: (progress) => {
        written.push(progress);
        return Promise.resolve();
      },
      intervalMs: 60_000,
      now: () => now,
    });
    const report = recorder.listener();
    report(ref(1));
    await Promise.resolve();
    report(ref(2));
    report(ref(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written).toEqual([ref(1)]);
    now += 60_000;
    report(ref(4));
    // The timer set for the interval is still pending; settling drops what it would write.
    await recorder.settle();
    expect(written).toEqual([ref(1)]);
  });

  it("forwards every report, the end included, to the caller's listener", () => {
    const heard: SyncProgress[] = [];
    const recorder = new SyncProgressRecorder({ write: () => Promise.resolve(), intervalMs: 0 });
    const report = recorder.listener((progress) => heard.push(progress));
    report({ phase: "fetching" });
    report(ref(0));
    report({ phase: "done" });
    expect(heard).toEqual([{ phase: "fetching" }, ref(0), { phase: "done" }]);
  });

  it("never writes the end, and nothing after settling", async () => {
    const { written, finishers, write } = pendingWrites();
    const recorder = new SyncProgressRecorder({ write, intervalMs: 0 });
    const report = recorder.listener();
    report({ phase: "done" });
    expect(written).toEqual([]);
    report(ref(1));
    report(ref(2));
    const settled = recorder.settle();
    let done = false;
    void settled.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false); // waits for the write in flight
    finishers[0]?.();
    await settled;
    report(ref(3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(written).toEqual([ref(1)]);
  });

  it("drops a failed write and goes on with the next report", async () => {
    const { written, finishers, write } = pendingWrites();
    const recorder = new SyncProgressRecorder({ write, intervalMs: 0 });
    const report = recorder.listener();
    report(ref(1));
    report(ref(2));
    finishers[0]?.(new Error("database is locked"));
    await expect.poll(() => written.length).toBe(2);
    expect(written[1]).toEqual(ref(2));
    finishers[1]?.();
    await recorder.settle();
  });
});
