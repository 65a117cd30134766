import { describe, expect, it } from "vitest";
import {
  installSnippets,
  suggestedConstraint,
  TOKEN_PLACEHOLDER,
} from "../../ui/src/screens/install-snippets.ts";

describe("suggestedConstraint", () => {
  it("is ^major.minor of the newest stable version", () => {
    expect(suggestedConstraint("1.2.3", "2.0.0-beta1")).toBe("^1.2");
    expect(suggestedConstraint("v0.10.0", null)).toBe("^0.10");
    expect(suggestedConstraint("3", null)).toBe("^3.0");
    expect(suggestedConstraint("2024.01.05.1", null)).toBe("^2024.1");
  });

  it("is the newest version as it is without a stable one, and nothing without versions", () => {
    expect(suggestedConstraint(null, "dev-main")).toBe("dev-main");
    expect(suggestedConstraint(null, "2.0.0-RC1")).toBe("2.0.0-RC1");
    expect(suggestedConstraint(null, null)).toBeNull();
  });
});

describe("installSnippets", () => {
  it("gives the command, the repositories entry for this server and auth.json with the placeholder", () => {
    const snippets = installSnippets("acme/widgets", "https://packages.example.com:8443", "1.4.0", "1.4.0");
    expect(snippets.command).toBe("composer require acme/widgets:^1.4");
    expect(JSON.parse(snippets.composerJson)).toEqual({
      repositories: [{ type: "composer", url: "https://packages.example.com:8443" }],
    });
    expect(JSON.parse(snippets.authJson)).toEqual({
      "http-basic": { "packages.example.com:8443": { username: "token", password: TOKEN_PLACEHOLDER } },
    });
  });

  it("leaves the constraint out when there is no version", () => {
    expect(installSnippets("acme/empty", "http://127.0.0.1:8080", null, null).command).toBe(
      "composer require acme/empty",
    );
  });

  it("quotes a version a shell would read otherwise", () => {
    expect(installSnippets("acme/odd", "http://localhost", null, "dev-it's;rm -rf").command).toBe(
      "composer require acme/odd:'dev-it'\\''s;rm -rf'",
    );
  });
});
