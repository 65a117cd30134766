import { describe, expect, it } from "vitest";
import {
  emptyRoot,
  hashToHex,
  isHashHex,
  isHashHexAnyCase,
  leafHash,
  leafHashHex,
  nodeHash,
  nodeHashHex,
} from "./merkle-hash.ts";

// transparency-dev/merkle rfc6962/rfc6962_test.go (TestRFC6962Hasher).
const EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const EMPTY_LEAF = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
const LEAF_L123456 = "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56";
const NODE_N123_N456 = "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb";

describe("RFC 6962 hashes (transparency-dev/merkle vectors)", () => {
  it("hashes the empty tree, an empty leaf, a leaf and a node", () => {
    expect(emptyRoot().toString("hex")).toBe(EMPTY_ROOT);
    expect(leafHash(new Uint8Array(0)).toString("hex")).toBe(EMPTY_LEAF);
    expect(leafHash(Buffer.from("L123456")).toString("hex")).toBe(LEAF_L123456);
    expect(nodeHash(Buffer.from("N123"), Buffer.from("N456")).toString("hex")).toBe(NODE_N123_N456);
  });

  it("keeps leaves and nodes apart (second-preimage resistance) and is order sensitive", () => {
    const left = leafHash(Buffer.from("Hello"));
    const right = leafHash(Buffer.from("World"));
    expect(left.equals(right)).toBe(false);
    const node = nodeHash(left, right);
    expect(node.equals(leafHash(Buffer.concat([left, right])))).toBe(false);
    expect(node.equals(nodeHash(right, left))).toBe(false);
  });

  it("leafHashHex hashes the UTF-8 of a text like leafHash of its bytes", () => {
    expect(leafHashHex("")).toBe(EMPTY_LEAF);
    expect(leafHashHex("L123456")).toBe(LEAF_L123456);
    for (const text of ['{"a":"é€😀"}', "\u0000x", "x".repeat(100_000)]) {
      expect(leafHashHex(text)).toBe(leafHash(Buffer.from(text, "utf8")).toString("hex"));
    }
  });

  it("nodeHashHex equals nodeHash over 32-byte hashes, whatever the input case", () => {
    const left = leafHash(Buffer.from("a"));
    const right = leafHash(Buffer.from("b"));
    const expected = nodeHash(left, right).toString("hex");
    expect(nodeHashHex(left.toString("hex"), right.toString("hex"))).toBe(expected);
    expect(nodeHashHex(left.toString("hex").toUpperCase(), right.toString("hex"))).toBe(expected);
  });

  it("returns fresh buffers", () => {
    const root = emptyRoot();
    root.fill(0);
    expect(emptyRoot().toString("hex")).toBe(EMPTY_ROOT);
  });

  it("recognises hex hashes", () => {
    expect(isHashHex(EMPTY_ROOT)).toBe(true);
    expect(isHashHex(EMPTY_ROOT.toUpperCase())).toBe(false);
    expect(isHashHexAnyCase(EMPTY_ROOT.toUpperCase())).toBe(true);
    for (const bad of [
      "",
      EMPTY_ROOT.slice(1),
      `${EMPTY_ROOT}0`,
      `g${EMPTY_ROOT.slice(1)}`,
      `${EMPTY_ROOT.slice(0, 63)}z`,
    ]) {
      expect(isHashHex(bad)).toBe(false);
      expect(isHashHexAnyCase(bad)).toBe(false);
    }
    expect(hashToHex(Buffer.from(EMPTY_ROOT, "hex"))).toBe(EMPTY_ROOT);
    const view = Buffer.concat([Buffer.alloc(3), Buffer.from(EMPTY_ROOT, "hex")]).subarray(3);
    expect(hashToHex(view)).toBe(EMPTY_ROOT);
    expect(() => hashToHex(new Uint8Array(31), "a leaf hash")).toThrow(/a leaf hash must be 32 bytes/);
  });
});
