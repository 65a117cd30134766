import { describe, expect, it } from "vitest";
import { parsePackagePatterns } from "../../src/access/package-pattern.ts";
import { parseEagerPatterns } from "../../src/sources/composer/eager-package-names.ts";
import { addRepositorySchema } from "../../src/sources/repository-input.ts";
import { hasErrors } from "../../ui/src/forms/field-errors.ts";
import {
  addRequestOf,
  patternsOf,
  validateRepository,
  type RepositoryInput,
} from "../../ui/src/forms/repository-input.ts";

const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "-----END OPENSSH PRIVATE KEY-----",
].join("\n");

const git: RepositoryInput = {
  type: "git",
  url: "https://git.example.com/acme/widgets.git",
  name: "",
  credentialKind: "none",
  username: "",
  password: "",
  sshKey: "",
  token: "",
  header: "",
  value: "",
  packages: "",
  eagerPackages: "",
};
const composer: RepositoryInput = { ...git, type: "composer", url: "https://repo.example.com" };

/** Whether the server refuses the body the form would send: its schema, then its pattern rules. */
function serverRefuses(input: RepositoryInput): boolean {
  const parsed = addRepositorySchema.safeParse(addRequestOf(input));
  if (!parsed.success) return true;
  try {
    if (parsed.data.packages !== undefined) parsePackagePatterns(parsed.data.packages);
    if (parsed.data.eagerPackages !== undefined) parseEagerPatterns(parsed.data.eagerPackages);
    return false;
  } catch {
    return true;
  }
}

/**
 * The dashboard's repository form checks its fields before sending them; these cases hold it to
 * the server's own rules (the request schema and the package pattern parsers), so that it neither
 * refuses what the API takes nor sends what the API refuses.
 */
describe("the repository form's rules", () => {
  const cases: readonly (readonly [string, RepositoryInput])[] = [
    ["a plain git repository", git],
    ["a name with a space", { ...git, name: "my widgets" }],
    ["a name starting with a dash", { ...git, name: "-widgets" }],
    ["a name of 101 characters", { ...git, name: "w".repeat(101) }],
    ["a name of 100 characters", { ...git, name: "w".repeat(100) }],
    ["https credentials", { ...git, credentialKind: "basic", username: "deploy", password: "s3cret" }],
    ["an empty user name", { ...git, credentialKind: "basic", username: "", password: "s3cret" }],
    ["a user name with a colon", { ...git, credentialKind: "basic", username: "a:b", password: "x" }],
    ["a password with a bell", { ...git, credentialKind: "basic", username: "a", password: "x\u0007" }],
    ["a password over 4 KiB", { ...git, credentialKind: "basic", username: "a", password: "é".repeat(2049) }],
    ["an SSH key", { ...git, credentialKind: "ssh", sshKey: KEY }],
    [
      "an SSH key with Windows line ends",
      { ...git, credentialKind: "ssh", sshKey: KEY.replace(/\n/g, "\r\n") },
    ],
    ["text that is no key", { ...git, credentialKind: "ssh", sshKey: "not a key" }],
    [
      "a key with a passphrase",
      {
        ...git,
        credentialKind: "ssh",
        sshKey: KEY.replace("\n", "\nProc-Type: 4,ENCRYPTED\n"),
      },
    ],
    ["a composer upstream", composer],
    ["a bearer token", { ...composer, credentialKind: "token", token: "t0ken" }],
    ["an empty token", { ...composer, credentialKind: "token", token: "" }],
    ["a custom header", { ...composer, credentialKind: "header", header: "X-Api-Key", value: "k" }],
    ["the Host header", { ...composer, credentialKind: "header", header: "Host", value: "k" }],
    ["a header name with a space", { ...composer, credentialKind: "header", header: "X Key", value: "k" }],
    ["a header without a value", { ...composer, credentialKind: "header", header: "X-Key", value: "" }],
    ["package patterns", { ...composer, packages: "Vendor/*\nother/lib-**" }],
    ["a pattern with a bang", { ...composer, packages: "vendor/pkg!" }],
    ["101 patterns", { ...composer, packages: Array.from({ length: 101 }, (_, i) => `v/p${i}`).join("\n") }],
    ["eager names and patterns", { ...composer, eagerPackages: "acme/*\nAcme/Tool--kit" }],
    ["an eager word that is no name", { ...composer, eagerPackages: "acme" }],
    ["an eager name with a trailing dot", { ...composer, eagerPackages: "acme/tool." }],
  ];

  it.each(cases)("agrees with the API on %s", (_name, input) => {
    expect(hasErrors(validateRepository(input))).toBe(serverRefuses(input));
  });

  it("has cases on both sides of the rules", () => {
    expect(cases.filter(([, input]) => serverRefuses(input)).map(([name]) => name)).toEqual([
      "a name with a space",
      "a name starting with a dash",
      "a name of 101 characters",
      "an empty user name",
      "a user name with a colon",
      "a password with a bell",
      "a password over 4 KiB",
      "text that is no key",
      "a key with a passphrase",
      "an empty token",
      "the Host header",
      "a header name with a space",
      "a header without a value",
      "a pattern with a bang",
      "101 patterns",
      "an eager word that is no name",
      "an eager name with a trailing dot",
    ]);
  });

  it("refuses what the server's URL rules refuse, before sending", () => {
    expect(validateRepository({ ...git, url: "" }).url).toBe("Enter the repository's URL.");
    expect(validateRepository({ ...git, url: "https://me:pw@git.example.com/x.git" }).url).toMatch(
      /No credentials in the URL/,
    );
    expect(validateRepository({ ...git, url: "git@git.example.com:acme/x.git" }).url).toBeUndefined();
    expect(validateRepository({ ...composer, url: "ftp://repo.example.com" }).url).toMatch(/https:\/\//);
    expect(validateRepository({ ...git, url: `https://x/${"a".repeat(2048)}` }).url).toMatch(/2048/);
  });

  it("reads one pattern a line, and commas and spaces separate too", () => {
    expect(patternsOf(" acme/*\n\nother/lib, third/*  ")).toEqual(["acme/*", "other/lib", "third/*"]);
  });
});
