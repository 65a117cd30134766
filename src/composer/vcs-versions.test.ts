import { describe, expect, it } from "vitest";
import { versionFromBranch, versionFromTag } from "./vcs-versions.ts";

describe("versionFromTag", () => {
  it.each([
    ["v1.2.3", "v1.2.3", "1.2.3.0"],
    ["1.0", "1.0", "1.0.0.0"],
    ["1.0.0-beta.1", "1.0.0-beta.1", "1.0.0.0-beta1"],
    ["2.0.0RC1", "2.0.0RC1", "2.0.0.0-RC1"],
    ["2010-01-01", "2010-01-01", "2010.01.01"],
    ["release-1.0.0", "1.0.0", "1.0.0.0"],
    // "stable" ends normalization early, so the -dev suffix only leaves the pretty version.
    ["1.0.0-stable-dev", "1.0.0-stable", "1.0.0.0"],
  ])("reads %j as %j (%j)", (tag, version, versionNormalized) => {
    expect(versionFromTag(tag)).toEqual({ version, versionNormalized });
  });

  it.each(["1.0.0-dev", "1.x-dev", "dev-main", "master", "latest", "", "1.0.0.0.0", "release-"])(
    "skips %j",
    (tag) => {
      expect(versionFromTag(tag)).toBeNull();
    },
  );
});

describe("versionFromBranch", () => {
  it.each([
    ["main", "dev-main", "dev-main"],
    ["master", "dev-master", "dev-master"],
    ["feature/foo", "dev-feature/foo", "dev-feature/foo"],
    ["1.x", "1.x-dev", "1.9999999.9999999.9999999-dev"],
    ["v1.x", "v1.x-dev", "1.9999999.9999999.9999999-dev"],
    ["V1.x", "1.x-dev", "1.9999999.9999999.9999999-dev"],
    ["2.1", "2.1.x-dev", "2.1.9999999.9999999-dev"],
    ["1.0.3.*", "1.0.3.x-dev", "1.0.3.9999999-dev"],
    ["a,-b", "dev-a,-b", "dev-a,-b"],
    ["a|dev-b", "dev-a|dev-b", "dev-a|dev-b"],
    // Composer's pretty-printing regex also eats the start of a longer run of nines.
    ["v1.99999999.x", "v1.x9.x-dev", "1.99999999.9999999.9999999-dev"],
  ])("reads %j as %j (%j)", (branch, version, versionNormalized) => {
    expect(versionFromBranch(branch)).toEqual({ version, versionNormalized });
  });

  it.each(["a,b", "a|b", "a|", "feature|~>1.0"])("skips %j, which is no valid constraint", (branch) => {
    expect(versionFromBranch(branch)).toBeNull();
  });
});
