import { describe, expect, it } from "vitest";
import { createdRange, createdTerm } from "../../ui/src/audit-query/created-range.ts";
import {
  completions,
  qualifierValue,
  setQualifier,
  splitTerms,
} from "../../ui/src/audit-query/query-terms.ts";

describe("the audit log screen's search edits", () => {
  it("splits a search into terms, keeping quoted parts whole", () => {
    expect(splitTerms('  actor:"a b" (event:token OR x)  "say \\"hi\\" now" ')).toEqual([
      'actor:"a b"',
      "(event:token",
      "OR",
      "x)",
      '"say \\"hi\\" now"',
    ]);
    expect(splitTerms("")).toEqual([]);
  });

  it("sets, replaces and removes one qualifier, leaving every other term alone", () => {
    expect(setQualifier("", "event:", "token")).toBe("event:token");
    expect(setQualifier("free text event:user", "event:", "token")).toBe("free text event:token");
    expect(setQualifier("Event:user outcome:denied", "event:", "")).toBe("outcome:denied");
    expect(setQualifier("-event:user", "event:", "token")).toBe("-event:user event:token");
    expect(setQualifier("(event:user OR event:token) action:x", "event:", "audit")).toBe(
      "(event:user OR event:token) action:x event:audit",
    );
    expect(setQualifier("a", "created:", "2026-01-01..*")).toBe("a created:2026-01-01..*");
    expect(setQualifier("", "action:", 'say "hi" (now)')).toBe('action:"say \\"hi\\" (now)"');
  });

  it("reads a qualifier's value outside negations and parentheses", () => {
    expect(qualifierValue("x event:token", "event:")).toBe("token");
    expect(qualifierValue("-event:token (event:user)", "event:")).toBe("");
    expect(qualifierValue("(a OR b) severity:error", "severity:")).toBe("error");
  });

  it("completes qualifier names and the values of closed qualifiers", () => {
    expect(completions("")).toContain("created:");
    expect(completions("outcome:denied ")).toContain("outcome:denied action:");
    expect(completions("sev")).toEqual(["severity:"]);
    expect(completions("x -ac")).toEqual(["x -action:", "x -actor:"]);
    expect(completions("(ev")).toEqual(["(event:"]);
    expect(completions("outcome:d")).toEqual(["outcome:denied"]);
    expect(completions("severity:")).toEqual(["severity:info", "severity:warning", "severity:error"]);
    expect(completions("action:dow")).toEqual([]);
    expect(completions("severity:error")).toEqual([]);
    expect(completions("nothing")).toEqual([]);
  });

  it("writes and reads the filters' created: range", () => {
    expect(createdTerm("2026-01-01", "")).toBe("2026-01-01..*");
    expect(createdTerm("", "2026-01-31")).toBe("*..2026-01-31");
    expect(createdTerm("2026-01-01", "2026-01-31")).toBe("2026-01-01..2026-01-31");
    expect(createdTerm("", "")).toBe("");
    expect(createdRange("x created:2026-01-01..*")).toEqual({ from: "2026-01-01", to: "" });
    expect(createdRange("created:*..2026-01-31")).toEqual({ from: "", to: "2026-01-31" });
    expect(createdRange("created:>=2026-01-01")).toEqual({ from: "2026-01-01", to: "" });
    expect(createdRange("created:<=2026-01-31")).toEqual({ from: "", to: "2026-01-31" });
    expect(createdRange("created:2026-03-01")).toEqual({ from: "2026-03-01", to: "2026-03-01" });
    // Forms the day pickers cannot show leave them empty, and the search as it is.
    expect(createdRange("created:>2026-01-01T10:00:00Z")).toEqual({ from: "", to: "" });
    expect(createdRange("created:2026-13..nope")).toEqual({ from: "", to: "" });
    expect(createdRange("-created:2026-03-01")).toEqual({ from: "", to: "" });
  });
});
