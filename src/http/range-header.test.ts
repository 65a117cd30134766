import { describe, expect, it } from "vitest";
import { resolveByteRange } from "../storage/blobs/byte-range.ts";
import { parseRangeHeader, rangeStillApplies } from "./range-header.ts";

describe("parseRangeHeader", () => {
  it("reads the three forms of one byte range", () => {
    expect(parseRangeHeader("bytes=0-99")).toEqual({ first: 0, last: 99 });
    expect(parseRangeHeader("bytes=100-")).toEqual({ first: 100, last: null });
    expect(parseRangeHeader("bytes=-500")).toEqual({ suffix: 500 });
    expect(parseRangeHeader(" bytes=7-7 ")).toEqual({ first: 7, last: 7 });
  });

  it("ignores what it does not serve or cannot read", () => {
    for (const header of [
      undefined,
      "",
      "bytes=",
      "bytes=-",
      "bytes=5-1",
      "bytes=0-1,3-4",
      "Bytes=0-1",
      "items=0-1",
      "bytes=0x10-",
      "bytes=1.5-2",
      "bytes=+1-2",
      `bytes=${"9".repeat(16)}-`,
      "bytes=0-1;x",
    ]) {
      expect(parseRangeHeader(header), String(header)).toBeNull();
    }
  });
});

describe("resolveByteRange", () => {
  it("clamps to the blob and finds none past its end", () => {
    expect(resolveByteRange({ first: 0, last: 99 }, 50)).toEqual({ first: 0, last: 49 });
    expect(resolveByteRange({ first: 49, last: null }, 50)).toEqual({ first: 49, last: 49 });
    expect(resolveByteRange({ first: 50, last: null }, 50)).toBeNull();
    expect(resolveByteRange({ suffix: 10 }, 50)).toEqual({ first: 40, last: 49 });
    expect(resolveByteRange({ suffix: 80 }, 50)).toEqual({ first: 0, last: 49 });
    expect(resolveByteRange({ suffix: 0 }, 50)).toBeNull();
    expect(resolveByteRange({ first: 0, last: 0 }, 0)).toBeNull();
  });
});

describe("rangeStillApplies", () => {
  const validators = { etag: '"abc"', lastModified: new Date("2026-11-27T10:00:00Z") };
  it("keeps the range for the current strong ETag or the exact date, and only then", () => {
    expect(rangeStillApplies(undefined, validators)).toBe(true);
    expect(rangeStillApplies('"abc"', validators)).toBe(true);
    expect(rangeStillApplies("Fri, 27 Nov 2026 10:00:00 GMT", validators)).toBe(true);
    expect(rangeStillApplies('"abd"', validators)).toBe(false);
    expect(rangeStillApplies('W/"abc"', validators)).toBe(false);
    expect(rangeStillApplies("Fri, 27 Nov 2026 10:00:01 GMT", validators)).toBe(false);
    expect(rangeStillApplies("yesterday", validators)).toBe(false);
  });
});
