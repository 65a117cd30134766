import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { gitCredentialsSchema, prepareGitCredentials, type GitCredentials } from "./git-credentials.ts";

const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "-----END OPENSSH PRIVATE KEY-----",
].join("\n");

function issues(input: unknown): string[] {
  const result = gitCredentialsSchema.safeParse(input);
  if (result.success) throw new Error("expected the schema to refuse the input");
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("gitCredentialsSchema", () => {
  it("turns the API forms into GitCredentials", () => {
    expect(gitCredentialsSchema.parse({ username: "alice", password: "p:ss w0rd" })).toEqual({
      kind: "https",
      username: "alice",
      password: "p:ss w0rd",
    });
    expect(gitCredentialsSchema.parse({ sshKey: `${KEY.replace(/\n/g, "\r\n")}\r\n` })).toEqual({
      kind: "ssh-key",
      privateKey: KEY,
    });
    for (const begin of ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"]) {
      const key = `-----BEGIN ${begin}-----\nAAAA\n-----END ${begin}-----`;
      expect(gitCredentialsSchema.parse({ sshKey: key })).toEqual({ kind: "ssh-key", privateKey: key });
    }
  });

  it("reads back what it produced (the stored form)", () => {
    const values: GitCredentials[] = [
      gitCredentialsSchema.parse({ username: "alice", password: "secret" }),
      gitCredentialsSchema.parse({ sshKey: KEY }),
    ];
    for (const value of values) {
      expect(gitCredentialsSchema.parse(JSON.parse(JSON.stringify(value)))).toEqual(value);
    }
  });

  it("names the field at fault", () => {
    expect(issues({ username: "alice", password: "x".repeat(4097) })).toEqual([
      "password: password must be at most 4096 bytes",
    ]);
    expect(gitCredentialsSchema.parse({ username: "a", password: "x".repeat(4096) }).kind).toBe("https");
    expect(issues({ username: "alice", password: "é".repeat(2049) })).toEqual([
      "password: password must be at most 4096 bytes",
    ]);
    expect(issues({ username: "alice", password: "a\r\nX-Injected: 1" })).toEqual([
      "password: password must not contain control characters",
    ]);
    expect(issues({ username: "al:ice", password: "x" })).toEqual([
      'username: username must not contain ":"',
    ]);
    expect(issues({ username: "", password: "x" })).toEqual(["username: username must not be empty"]);
    expect(issues({ username: "alice" })[0]).toMatch(/^password: /);
    expect(issues({ sshKey: "ssh-ed25519 AAAA... public key" })[0]).toMatch(
      /^sshKey: sshKey must be a PEM private key/,
    );
    expect(
      issues({
        sshKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${"A".repeat(16 * 1024)}\n-----END OPENSSH PRIVATE KEY-----`,
      }),
    ).toEqual(["sshKey: sshKey must be at most 16384 bytes"]);
    expect(
      issues({
        sshKey:
          "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END RSA PRIVATE KEY-----",
      }),
    ).toEqual(["sshKey: sshKey must not be protected by a passphrase"]);
    expect(issues({ username: "alice", password: "x", extra: 1 })[0]).toMatch(/extra/);
  });

  it("explains the accepted forms when none matches", () => {
    for (const input of [{}, { token: "x" }, "alice:secret", null, 42]) {
      expect(issues(input).join()).toMatch(
        /\{ "username", "password" \} \(https\) or \{ "sshKey" \} \(ssh\)/,
      );
    }
  });

  it("fits into a larger schema", () => {
    const body = z.object({ credentials: gitCredentialsSchema.optional() });
    expect(body.parse({ credentials: { username: "a", password: "b" } }).credentials?.kind).toBe("https");
    expect(body.safeParse({ credentials: { username: "a" } }).error?.issues[0]?.path).toEqual([
      "credentials",
      "password",
    ]);
  });
});

describe("prepareGitCredentials", () => {
  let temporary: string;
  const knownHostsFile = "/data dir/known_hosts";

  beforeEach(() => {
    temporary = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-cred-"));
  });

  afterEach(() => {
    fs.rmSync(temporary, { recursive: true, force: true });
  });

  it("puts https credentials in an origin-scoped extraHeader through GIT_CONFIG_*", async () => {
    const prepared = await prepareGitCredentials(
      { kind: "https", username: "alice", password: "s3cret" },
      { url: "https://git.example:8443/acme/x.git", knownHostsFile },
    );
    const token = Buffer.from("alice:s3cret").toString("base64");
    expect(prepared.env).toMatchObject({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://git.example:8443/.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${token}`,
    });
    expect(prepared.secrets).toEqual(["s3cret", token]);
    const defaultPort = await prepareGitCredentials(
      { kind: "https", username: "alice", password: "s3cret" },
      { url: "https://git.example:443/x.git", knownHostsFile },
    );
    expect(defaultPort.env.GIT_CONFIG_KEY_0).toBe("http.https://git.example/.extraHeader");
    await prepared.cleanup();
  });

  it("writes an ssh key to a 0600 file named by GIT_SSH_COMMAND, removed by cleanup", async () => {
    const prepared = await prepareGitCredentials(
      { kind: "ssh-key", privateKey: KEY },
      { url: "git@github.com:acme/x.git", knownHostsFile, temporaryDirectory: temporary },
    );
    const command = prepared.env.GIT_SSH_COMMAND ?? "";
    const keyFile = /-i (\S+)/.exec(command)?.[1] ?? "";
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(keyFile)).mode & 0o077).toBe(0);
    expect(fs.readFileSync(keyFile, "utf8")).toBe(`${KEY}\n`);
    expect(command).toBe(
      `ssh -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=accept-new -o 'UserKnownHostsFile=/data dir/known_hosts' -o ConnectTimeout=30 -i ${keyFile}`,
    );
    expect(prepared.env).not.toHaveProperty("GIT_CONFIG_COUNT");
    expect(JSON.stringify(prepared.env)).not.toContain("b3BlbnNzaC1rZXktdjEA");
    await prepared.cleanup();
    await prepared.cleanup();
    expect(fs.existsSync(keyFile)).toBe(false);
    expect(fs.readdirSync(temporary)).toEqual([]);
  });

  it("quotes paths for the shell that runs GIT_SSH_COMMAND", async () => {
    const odd = path.join(temporary, "it's $(odd)");
    fs.mkdirSync(odd);
    const prepared = await prepareGitCredentials(undefined, {
      url: "ssh://git@host/x.git",
      knownHostsFile: `${odd}/kh`,
    });
    expect(prepared.env.GIT_SSH_COMMAND).toContain(`'UserKnownHostsFile=${odd.replace("'", "'\\''")}/kh'`);
  });

  it("runs ssh in batch mode without agent or default identities when there are no credentials", async () => {
    const prepared = await prepareGitCredentials(undefined, {
      url: "ssh://git@host/x.git",
      knownHostsFile: "/kh",
    });
    expect(prepared.env).toEqual({
      GIT_SSH_COMMAND:
        "ssh -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/kh -o ConnectTimeout=30 -o IdentityFile=none",
    });
    expect(prepared.secrets).toEqual([]);
  });

  it("refuses credentials that do not fit the URL", async () => {
    await expect(
      prepareGitCredentials(
        { kind: "https", username: "a", password: "b" },
        { url: "git@host:x.git", knownHostsFile },
      ),
    ).rejects.toMatchObject({ code: "CredentialsDoNotMatchUrl" });
    await expect(
      prepareGitCredentials(
        { kind: "ssh-key", privateKey: KEY },
        { url: "https://host/x.git", knownHostsFile },
      ),
    ).rejects.toMatchObject({ code: "CredentialsDoNotMatchUrl" });
  });
});
