import { describe, expect, it } from "vitest";
import { accountLinkMail } from "./account-link-mail.ts";

const url = `https://composer.example.com/invite#${"T".repeat(43)}`;

describe("accountLinkMail", () => {
  it("says who invited whom to which server with which role, until when, with the link", () => {
    const mail = accountLinkMail({
      purpose: "invitation",
      to: "eve@example.org",
      url,
      expiresAt: "2026-05-08T10:00:00.000Z",
      baseUrl: "https://composer.example.com",
      role: "maintainer",
      sender: "Ada Lovelace (ada@example.org)",
    });
    expect(mail.to).toBe("eve@example.org");
    expect(mail.subject).toBe("You are invited to PACKAGE.broker");
    expect(mail.text).toBe(
      [
        "Ada Lovelace (ada@example.org) invited you to PACKAGE.broker at https://composer.example.com with the role maintainer.",
        "Open this link to choose a password and create your account:",
        url,
        "The link works once, until 2026-05-08 10:00 UTC. If you did not expect this invitation, you can ignore this message.",
        "-- \nPACKAGE.broker\n",
      ].join("\n\n"),
    );
    expect(mail.html).toContain(`<a href="${url}">${url}</a>`);
    expect(mail.html).toContain("<p>Ada Lovelace (ada@example.org) invited you");
  });

  it("asks for a new password for a reset, and says an administrator when nobody is named", () => {
    const mail = accountLinkMail({
      purpose: "password-reset",
      to: "bob@example.org",
      url,
      expiresAt: "2026-05-02T10:00:00.000Z",
      baseUrl: "http://localhost:8080",
      sender: null,
    });
    expect(mail.subject).toBe("Set a new password for PACKAGE.broker");
    expect(mail.text).toContain(
      "An administrator asked for a new password for your account on PACKAGE.broker at http://localhost:8080.",
    );
    expect(mail.text).toContain(`\n\n${url}\n\n`);
    expect(mail.text).toContain("until 2026-05-02 10:00 UTC");
  });

  it("escapes what people typed in the HTML", () => {
    const mail = accountLinkMail({
      purpose: "invitation",
      to: "eve@example.org",
      url: `${url}"><script>`,
      expiresAt: "2026-05-08T10:00:00.000Z",
      baseUrl: "https://composer.example.com",
      role: "viewer",
      sender: `<img src=x onerror=alert(1)> & "Co" 'x'`,
    });
    expect(mail.html).not.toMatch(/<img|<script/);
    expect(mail.html).toContain("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot; &#39;x&#39;");
    expect(mail.html).toContain('href="https://composer.example.com/invite#TTT');
    expect(mail.html).toContain("&quot;&gt;&lt;script&gt;");
  });
});
