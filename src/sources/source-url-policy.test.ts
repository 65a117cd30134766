import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { assertSourceAllowed, classifySourceUrl, isPrivateAddress } from "./source-url-policy.ts";

function thrown(action: () => unknown): DomainError {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("no error thrown");
}

async function rejected(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("no error thrown");
}

describe("classifySourceUrl", () => {
  it.each([
    ["https://github.com/acme/widget.git", "https", "github.com", "https://github.com/acme/widget.git"],
    ["HTTPS://GitHub.com/acme/widget", "https", "github.com", "https://github.com/acme/widget"],
    ["http://git.example:8080/x.git", "http", "git.example", "http://git.example:8080/x.git"],
    ["https://[2001:db8::1]/x.git", "https", "2001:db8::1", "https://[2001:db8::1]/x.git"],
    ["http://2130706433/x.git", "http", "127.0.0.1", "http://127.0.0.1/x.git"],
    ["http://0x7f.1/x.git", "http", "127.0.0.1", "http://127.0.0.1/x.git"],
    ["ssh://git@example.com:22/x.git", "ssh", "example.com", "ssh://git@example.com:22/x.git"],
    ["git+ssh://git@example.com/x.git", "ssh", "example.com", "git+ssh://git@example.com/x.git"],
    ["ssh://git@2130706433/x.git", "ssh", "127.0.0.1", "ssh://git@2130706433/x.git"],
    ["git@github.com:org/x.git", "ssh", "github.com", "git@github.com:org/x.git"],
    ["example.com:x.git", "ssh", "example.com", "example.com:x.git"],
    ["git@[::1]:x.git", "ssh", "::1", "git@[::1]:x.git"],
    ["file:///srv/git/x.git", "file", null, "file:///srv/git/x.git"],
    ["file://localhost/srv/git/x.git", "file", null, "file:///srv/git/x.git"],
    ["/srv/git/x.git", "local-path", null, "/srv/git/x.git"],
    ["/srv/git/../git/with space.git", "local-path", null, "/srv/git/with space.git"],
  ])("accepts %s", (url, kind, host, normalized) => {
    expect(classifySourceUrl(url)).toEqual({ kind, host, normalized });
  });

  it.each([
    ["", /empty/],
    ["ext::sh -c touch% /tmp/pwned", /transport helpers/],
    ["fd::17", /transport helpers/],
    ["transport::https://example.com/x.git", /transport helpers/],
    ["relative/path.git", /must be https/],
    ["./x.git", /must be https/],
    ["../x.git", /must be https/],
    ["x.git", /must be https/],
    ["-u evil", /must not start with '-'/],
    ["--upload-pack=touch /tmp/pwned", /must not start with '-'/],
    ["https://example.com/x.git\nfoo", /control characters/],
    ["https://example.com/\u0000x", /control characters/],
    ["/srv/git/x\r.git", /control characters/],
    ["https://example.com/a b.git", /white space/],
    [`https://example.com/${"a".repeat(2048)}`, /longer than 2048/],
    ["git://example.com/x.git", /scheme "git" is not supported/],
    ["ftp://example.com/x.git", /not supported/],
    ["https:///x.git", /has no host|not a valid URL/],
    ["ssh://-oProxyCommand=evil/x.git", /must not start with '-'/],
    ["ssh://-oProxyCommand=evil@example.com/x.git", /must not start with '-'/],
    ["-oProxyCommand=evil:x.git", /must not start with '-'/],
    ["git@-oProxyCommand=evil:x.git", /must not start with '-'/],
    ["git@example.com:-x.git", /must not start with '-'/],
    ["ssh://user:password@example.com/x.git", /password/],
    ["file://example.com/srv/x.git", /must not name a host/],
    ["file:///", /no path/],
    ["C:\\repos\\x.git", /Windows drive/],
    ["https:/example.com/x.git", /malformed https/],
    ["http://exa$mple.com/x.git", /not a valid|not a valid URL/],
    ["http://public.example\\@127.0.0.1/x.git", /backslashes/],
    ["http://a@public.example@127.0.0.1/x.git", /more than one '@'/],
    ["https://user@/x.git", /has no host/],
  ])("refuses %j", (url, message) => {
    const error = thrown(() => classifySourceUrl(url));
    expect(error.code).toBe("InvalidRepositoryUrl");
    expect(error.kind).toBe("invalid");
    expect(error.message).toMatch(message);
  });

  it("does not echo the URL (it may carry credentials) in the error", () => {
    const error = thrown(() => classifySourceUrl("https://user:s3cret@example.com/a b"));
    expect(JSON.stringify({ message: error.message, ...error.extensions })).not.toContain("s3cret");
  });
});

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.255",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "fe80::1",
    "fe80::1%eth0",
    "fd00::1",
    "fc12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "64:ff9b::10.0.0.1",
    "2002:7f00:1::",
    "::127.0.0.1",
    "not an address",
  ])("%s is private", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "140.82.112.3",
    "172.32.0.1",
    "100.128.0.1",
    "192.169.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::",
  ])("%s is public", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("assertSourceAllowed", () => {
  const publicResolver = (host: string): Promise<string[]> => {
    const table: Record<string, string[]> = {
      "github.com": ["140.82.112.3"],
      "dual.example": ["2606:4700::1111", "93.184.216.34"],
      "rebind.example": ["93.184.216.34", "127.0.0.1"],
      "internal.example": ["10.0.0.5"],
      "metadata.example": ["169.254.169.254"],
      "mapped.example": ["::ffff:127.0.0.1"],
    };
    const found = table[host];
    return found === undefined ? Promise.reject(new Error(`ENOTFOUND ${host}`)) : Promise.resolve(found);
  };
  const policy = { allowPrivate: false, resolve: publicResolver };

  it("allows public hosts", async () => {
    await assertSourceAllowed("https://github.com/acme/x.git", policy);
    await assertSourceAllowed("git@github.com:acme/x.git", policy);
    await assertSourceAllowed("ssh://git@dual.example/x.git", policy);
    await assertSourceAllowed("https://8.8.8.8/x.git", policy);
    await assertSourceAllowed("https://[2606:4700::1111]/x.git", policy);
  });

  it.each([
    "/srv/git/x.git",
    "file:///srv/git/x.git",
    "https://internal.example/x.git",
    "https://metadata.example/latest",
    "https://rebind.example/x.git",
    "https://mapped.example/x.git",
    "git@internal.example:x.git",
    "ssh://git@internal.example/x.git",
    "http://127.0.0.1/x.git",
    "http://2130706433/x.git",
    "http://0x7f.1/x.git",
    "http://017700000001/x.git",
    "http://127.1/x.git",
    "http://[::1]/x.git",
    "http://[::ffff:127.0.0.1]/x.git",
    "http://[fe80::1]/x.git",
    "http://0.0.0.0/x.git",
    "http://[::]/x.git",
    "http://169.254.169.254/x.git",
    "http://100.64.1.1/x.git",
    "ssh://git@0x7f000001/x.git",
    "git@10.0.0.1:x.git",
    "http://localhost/x.git",
    "http://api.localhost/x.git",
  ])("refuses %s", async (url) => {
    const error = await rejected(assertSourceAllowed(url, policy));
    expect(error.code).toBe("PrivateSourceRefused");
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain("PB_ALLOW_PRIVATE_SOURCES");
  });

  it("names the resolved private address", async () => {
    const error = await rejected(assertSourceAllowed("https://rebind.example/x.git", policy));
    expect(error.message).toContain('"rebind.example" (127.0.0.1)');
  });

  it("reports hosts that do not resolve", async () => {
    const error = await rejected(assertSourceAllowed("https://nowhere.example/x.git", policy));
    expect(error.code).toBe("RepositoryHostNotFound");
    expect(error.kind).toBe("invalid");
    const empty = await rejected(
      assertSourceAllowed("https://empty.example/x.git", {
        allowPrivate: false,
        resolve: () => Promise.resolve([]),
      }),
    );
    expect(empty.code).toBe("RepositoryHostNotFound");
  });

  it("allows everything when private sources are allowed, but still refuses invalid URLs", async () => {
    let resolved = 0;
    const counting = { allowPrivate: true, resolve: () => ((resolved += 1), Promise.resolve(["127.0.0.1"])) };
    await assertSourceAllowed("/srv/git/x.git", counting);
    await assertSourceAllowed("file:///srv/git/x.git", counting);
    await assertSourceAllowed("http://localhost:3000/x.git", counting);
    await assertSourceAllowed("http://10.0.0.1/x.git", counting);
    expect(resolved).toBe(0);
    expect((await rejected(assertSourceAllowed("ext::sh", counting))).code).toBe("InvalidRepositoryUrl");
  });
});
