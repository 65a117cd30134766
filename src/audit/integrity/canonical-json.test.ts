import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, CanonicalJsonError } from "./canonical-json.ts";

/** A float64 from its IEEE-754 bits written as hex (big-endian), as RFC 8785 Appendix B lists them. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function errorOf(value: unknown): CanonicalJsonError {
  try {
    canonicalJson(value);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return error;
    throw error;
  }
  throw new Error("canonicalJson accepted the value");
}

describe("canonicalJson: RFC 8785 published examples", () => {
  it("writes the §3.2.4 example byte for byte (RFC 8785 §3.2.4 UTF-8 dump)", () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const output = canonicalJson(JSON.parse(input));
    expect(output).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
    const hex =
      "7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a " +
      "5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 " +
      "5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d";
    expect(Buffer.from(output, "utf8").toString("hex")).toBe(hex.replaceAll(" ", ""));
  });

  it("sorts members by UTF-16 code units (RFC 8785 §3.2.3)", () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  // RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript serialisation.
  const appendixB: readonly (readonly [string, string])[] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  it.each(appendixB)("serialises the number %s as %s (Appendix B)", (bits, expected) => {
    expect(canonicalJson(fromBits(bits))).toBe(expected);
  });

  it("refuses the Appendix B NaN and Infinity patterns", () => {
    for (const bits of ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]) {
      expect(errorOf(fromBits(bits)).message).toMatch(/not a JSON number/);
    }
  });
});

describe("canonicalJson: cyberphone/json-canonicalization testdata (input -> output)", () => {
  const cases: readonly (readonly [string, string, string])[] = [
    [
      "values",
      String.raw`{
  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],
  "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
      String.raw`{"escaping":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}`,
    ],
    [
      "weird",
      String.raw`{
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
}`,
      // The published output holds U+0080 and U+007F raw; written here as JS escapes.
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
    [
      "structures",
      `{
  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},
  "10": { },
  "": "empty",
  "a": { },
  "111": [ { } ],
  "A": { }
}`,
      String.raw`{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}`,
    ],
    [
      "french",
      `{
  "peach": "This sorting order",
  "péché": "is wrong according to French",
  "pêche": "but canonicalization MUST",
  "sin":   "ingnore locale"
}`,
      '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ingnore locale"}',
    ],
    [
      "unicode",
      String.raw`{"Unnormalized Unicode":"\u1e0d\u0307"}`,
      '{"Unnormalized Unicode":"\u1e0d\u0307"}',
    ],
  ];
  it.each(cases)("%s", (_name, input, output) => {
    expect(canonicalJson(JSON.parse(input))).toBe(output);
  });
});

describe("canonicalJson: the ES6 number test file of cyberphone/json-canonicalization", () => {
  // The 168 fixed values that open es6testfile100m.txt (testdata/README.md, numgen.js).
  const staticBits = `
    0000000000000000 8000000000000000 0000000000000001 8000000000000001 c46696695dbd1cc3 c43211ede4974a35
    c3fce97ca0f21056 c3c7213080c1a6ac c39280f39a348556 c35d9b1f5d20d557 c327af4c4a80aaac c2f2f2a36ecd5556
    c2be51057e155558 c28840d131aaaaac c253670dc1555557 c21f0b4935555557 c1e8d5d42aaaaaac c1b3de4355555556
    c17fca0555555556 c1496e6aaaaaaaab c114585555555555 c0e046aaaaaaaaab c0aa0aaaaaaaaaaa c074d55555555555
    c040aaaaaaaaaaab c00aaaaaaaaaaaab bfd5555555555555 bfa1111111111111 bf6b4e81b4e81b4f bf35d867c3ece2a5
    bf0179ec9cbd821e becbf647612f3696 be965e9f80f29212 be61e54c672874db be2ca213d840baf8 bdf6e80fe033c8c6
    bdc2533fe68fd3d2 bd8d51ffd74c861c bd5774ccac3d3817 bd22c3d6f030f9ac bcee0624b3818f79 bcb804ea293472c7
    bc833721ba905bd3 bc4ebe9c5db3c61e bc18987d17c304e5 bbe3ad30dfcf371d bbaf7b816618582f bb792f9ab81379bf
    bb442615600f9499 bb101e77800c76e1 bad9ca58cce0be35 baa4a1e0a3e6fe90 ba708180831f320d ba3a68cd9e985016
    446696695dbd1cc3 443211ede4974a35 43fce97ca0f21056 43c7213080c1a6ac 439280f39a348556 435d9b1f5d20d557
    4327af4c4a80aaac 42f2f2a36ecd5556 42be51057e155558 428840d131aaaaac 4253670dc1555557 421f0b4935555557
    41e8d5d42aaaaaac 41b3de4355555556 417fca0555555556 41496e6aaaaaaaab 4114585555555555 40e046aaaaaaaaab
    40aa0aaaaaaaaaaa 4074d55555555555 4040aaaaaaaaaaab 400aaaaaaaaaaaab 3fd5555555555555 3fa1111111111111
    3f6b4e81b4e81b4f 3f35d867c3ece2a5 3f0179ec9cbd821e 3ecbf647612f3696 3e965e9f80f29212 3e61e54c672874db
    3e2ca213d840baf8 3df6e80fe033c8c6 3dc2533fe68fd3d2 3d8d51ffd74c861c 3d5774ccac3d3817 3d22c3d6f030f9ac
    3cee0624b3818f79 3cb804ea293472c7 3c833721ba905bd3 3c4ebe9c5db3c61e 3c18987d17c304e5 3be3ad30dfcf371d
    3baf7b816618582f 3b792f9ab81379bf 3b442615600f9499 3b101e77800c76e1 3ad9ca58cce0be35 3aa4a1e0a3e6fe90
    3a708180831f320d 3a3a68cd9e985016 4024000000000000 4014000000000000 3fe0000000000000 3fa999999999999a
    3f747ae147ae147b 3f40624dd2f1a9fc 3f0a36e2eb1c432d 3ed4f8b588e368f1 3ea0c6f7a0b5ed8d 3e6ad7f29abcaf48
    3e35798ee2308c3a 3ed539223589fa95 3ed4ff26cd5a7781 3ed4f95a762283ff 3ed4f8c60703520c 3ed4f8b72f19cd0d
    3ed4f8b5b31c0c8d 3ed4f8b58d1c461a 3ed4f8b5894f7f0e 3ed4f8b588ee37f3 3ed4f8b588e47da4 3ed4f8b588e3849c
    3ed4f8b588e36bb5 3ed4f8b588e36937 3ed4f8b588e368f8 3ed4f8b588e368f1 3ff0000000000000 bff0000000000000
    bfeffffffffffffa bfeffffffffffffb 3feffffffffffffa 3feffffffffffffb 3feffffffffffffc 3feffffffffffffe
    bfefffffffffffff bfefffffffffffff 3fefffffffffffff 3fefffffffffffff 3fd3333333333332 3fd3333333333333
    3fd3333333333334 0010000000000000 000ffffffffffffd 000fffffffffffff 7fefffffffffffff ffefffffffffffff
    4340000000000000 c340000000000000 4430000000000000 44b52d02c7e14af5 44b52d02c7e14af6 44b52d02c7e14af7
    444b1ae4d6e2ef4e 444b1ae4d6e2ef4f 444b1ae4d6e2ef50 3eb0c6f7a0b5ed8c 3eb0c6f7a0b5ed8d 41b3de4355555553
    41b3de4355555554 41b3de4355555555 41b3de4355555556 41b3de4355555557 becbf647612f3696 43143ff3c1cb0959`
    .trim()
    .split(/\s+/u)
    .map((hex) => BigInt(`0x${hex}`));

  /** The test file's values, in order: the fixed ones, 2,000 from the smallest normal, then a SHA-256 stream. */
  function* es6TestValues(): Generator<bigint> {
    yield* staticBits;
    for (let i = 0n; i < 2000n; i++) yield 0x0010000000000000n + i;
    let block = Buffer.alloc(32);
    for (;;) {
      block = createHash("sha256").update(block).digest();
      for (let offset = 0; offset < 32; offset += 8) {
        const value = block.readDoubleLE(offset);
        if (value !== 0 && Number.isFinite(value)) yield block.readBigUInt64LE(offset);
      }
    }
  }

  it("reproduces the published SHA-256 of the first 1,000, 10,000 and 100,000 lines", () => {
    // testdata/README.md: "hex-ieee,expected\n" lines and the checksums of their prefixes.
    const published = new Map([
      [1_000, ["be18b62b6f69cdab33a7e0dae0d9cfa869fda80ddc712221570f9f40a5878687", 37_967]],
      [10_000, ["b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892", 399_022]],
      [100_000, ["22776e6d4b49fa294a0d0f349268e5c28808fe7e0cb2bcbe28f63894e494d4c7", 4_031_728]],
    ] as const);
    const file = createHash("sha256");
    const view = new DataView(new ArrayBuffer(8));
    let lines = 0;
    let bytes = 0;
    for (const bits of es6TestValues()) {
      view.setBigUint64(0, bits);
      const line = `${bits.toString(16)},${canonicalJson(view.getFloat64(0))}\n`;
      file.update(line);
      lines += 1;
      bytes += line.length;
      const expected = published.get(lines as 1_000);
      if (expected !== undefined) {
        expect([file.copy().digest("hex"), bytes]).toEqual(expected);
        if (lines === 100_000) break;
      }
    }
    expect(lines).toBe(100_000);
  });
});

describe("canonicalJson: everything JSON cannot say exactly throws", () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [1];
  cyclicArray.push({ back: cyclicArray });

  it.each([
    ["NaN", NaN, "$", /not a JSON number/],
    ["Infinity", Infinity, "$", /not a JSON number/],
    ["-Infinity", { n: [-Infinity] }, "$.n[0]", /not a JSON number/],
    ["undefined", undefined, "$", /undefined/],
    ["an undefined member", { a: { b: undefined } }, "$.a.b", /undefined/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ["an array hole", [1, , 2], "$[1]", /undefined/],
    ["a function", { f: () => 1 }, "$.f", /function/],
    ["a symbol", [Symbol("s")], "$[0]", /symbol/],
    ["a BigInt", { amount: 10n }, "$.amount", /bigint/],
    ["a lone high surrogate", "a\ud800b", "$", /surrogate/],
    ["a lone low surrogate in a name", { "\udc00": 1 }, "$.\udc00", /surrogate/],
    ["a cycle", cyclic, "$.self", /cycle/],
    ["a cycle through an array", cyclicArray, "$[1].back", /cycle/],
    ["a Date", { at: new Date(0) }, "$.at", /not a plain object/],
    ["a Map", new Map([["a", 1]]), "$", /not a plain object/],
    ["a class instance", new Point(), "$", /not a plain object/],
    ["a Buffer", Buffer.from("x"), "$", /not a plain object/],
  ] as const)("%s", (_name, value, path, message) => {
    const error = errorOf(value);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  it("accepts shared (non-cyclic) references, null-prototype objects and -0", () => {
    const shared = { z: 1 };
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 2;
    bare.a = [shared, shared];
    expect(canonicalJson(bare)).toBe('{"a":[{"z":1},{"z":1}],"b":2}');
    expect(canonicalJson(-0)).toBe("0");
  });

  it("escapes controls as JSON.stringify does, lowercase hex, and leaves / and non-ASCII alone", () => {
    expect(canonicalJson('\u0000\u0001\b\t\n\u000b\f\r\u001f"\\/\u007f\u2028é😀')).toBe(
      '"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\u007f\u2028é😀"',
    );
  });
});

/** An independent, naive JCS writer: default sort and JSON.stringify for every leaf value. */
function oracle(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oracle).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    // The default sort orders strings by UTF-16 code units.
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${oracle(record[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("canonicalJson: properties", () => {
  const json = fc.jsonValue({ stringUnit: "binary", maxDepth: 4 });

  it("agrees with a naive writer, is a fixed point of parse, and ignores member order", () => {
    fc.assert(
      fc.property(json, (value) => {
        const canonical = canonicalJson(value);
        expect(canonical).toBe(oracle(value));
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
        const reversed = JSON.parse(canonical, (_key, member: unknown) =>
          member !== null && typeof member === "object" && !Array.isArray(member)
            ? Object.fromEntries(Object.entries(member).reverse())
            : member,
        ) as unknown;
        expect(canonicalJson(reversed)).toBe(canonical);
      }),
      { seed: 8785, numRuns: 500 },
    );
  });
});
