import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./load-config.ts";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  it("has defaults for everything", () => {
    const config = loadConfig({});
    const dataDir = path.resolve("./data");
    expect(config).toEqual({
      port: 8080,
      host: "0.0.0.0",
      dataDir,
      baseUrl: "http://localhost:8080",
      database: { kind: "sqlite", file: path.join(dataDir, "broker.sqlite") },
      secretKey: undefined,
      blobs: { kind: "fs", directory: path.join(dataDir, "dists") },
      allowPrivateSources: false,
      logLevel: "info",
      maxUploadBytes: 64 * 1024 * 1024,
      proxy: { metadataMaxAgeMs: 300_000, timeoutMs: 20_000, changesIntervalMs: 300_000 },
      workers: 1,
      smtp: null,
      loginLockout: { maxFailures: 10, windowMs: 600_000 },
      audit: {
        ipMode: "truncate",
        trustedProxies: [],
        signingKey: undefined,
        origin: "localhost:8080/audit",
        checkpointEveryMs: 60_000,
        checkpointEveryEvents: 1000,
        purgeIntervalMs: 3_600_000,
        rawIpDays: 0,
        sinkTimeoutMs: 30000,
        sinkPollMs: 1000,
        sinksFile: null,
      },
      rateLimit: { requests: 6000, windowMs: 60_000 },
      redisUrl: null,
      metricsToken: null,
      alerts: {
        rulesFile: null,
        webhookUrl: null,
        webhookSecret: null,
        slackWebhookUrl: null,
        emailTo: [],
        pollMs: 1000,
      },
    });
  });

  it("reads the audit settings, and names the variable of an invalid one", () => {
    const config = loadConfig({
      PB_BASE_URL: "https://repo.example.com/composer/",
      PB_AUDIT_IP_MODE: "hash",
      PB_TRUSTED_PROXIES: "10.0.0.0/8, 127.0.0.1,::1",
      PB_AUDIT_CHECKPOINT_SECONDS: "5",
      PB_AUDIT_CHECKPOINT_EVENTS: "10",
      PB_AUDIT_PURGE_INTERVAL_SECONDS: "0",
    });
    expect(config.audit).toMatchObject({
      ipMode: "hash",
      trustedProxies: ["10.0.0.0/8", "127.0.0.1", "::1"],
      origin: "repo.example.com/composer/audit",
      checkpointEveryMs: 5000,
      checkpointEveryEvents: 10,
      purgeIntervalMs: 0,
    });
    expect(() => loadConfig({ PB_TRUSTED_PROXIES: "10.0.0.0/33" })).toThrow(
      /PB_TRUSTED_PROXIES: "10.0.0.0\/33" is not/,
    );
    expect(() => loadConfig({ PB_TRUSTED_PROXIES: "proxy.local" })).toThrow(/PB_TRUSTED_PROXIES/);
    expect(() => loadConfig({ PB_AUDIT_IP_MODE: "partial" })).toThrow(/PB_AUDIT_IP_MODE: must be one of/);
    expect(() => loadConfig({ PB_AUDIT_ORIGIN: "has space" })).toThrow(/PB_AUDIT_ORIGIN/);
    expect(() => loadConfig({ PB_AUDIT_CHECKPOINT_SECONDS: "0" })).toThrow(
      /PB_AUDIT_CHECKPOINT_SECONDS: must be at least 1/,
    );
    for (const bad of ["-1", "1.5", "hourly", "604801"]) {
      expect(() => loadConfig({ PB_AUDIT_PURGE_INTERVAL_SECONDS: bad }), bad).toThrow(
        /PB_AUDIT_PURGE_INTERVAL_SECONDS: must/,
      );
    }
  });

  it("reads PB_WORKERS: a whole number from 1 to 64, or auto for one per CPU", () => {
    expect(loadConfig({ PB_WORKERS: "2" }).workers).toBe(2);
    expect(loadConfig({ PB_WORKERS: "64" }).workers).toBe(64);
    expect(loadConfig({ PB_WORKERS: "auto" }).workers).toBe(Math.min(64, os.availableParallelism()));
    for (const hostile of ["0", "-1", "abc", "1e9", "65", "2.5", "0x2", " 2", "1000000000"]) {
      expect(configError({ PB_WORKERS: hostile }).message, hostile).toContain(
        'PB_WORKERS: must be "auto" or a whole number from 1 to 64',
      );
    }
  });

  it("reads the sign-in lockout, and refuses values that would disable it or lock people out for days", () => {
    expect(loadConfig({ PB_LOGIN_MAX_FAILURES: "5", PB_LOGIN_LOCKOUT_MINUTES: "30" }).loginLockout).toEqual({
      maxFailures: 5,
      windowMs: 1_800_000,
    });
    for (const hostile of ["0", "-1", "abc", "2.5", "1001"]) {
      expect(configError({ PB_LOGIN_MAX_FAILURES: hostile }).message, hostile).toContain(
        "PB_LOGIN_MAX_FAILURES",
      );
    }
    for (const hostile of ["0", "1441", "x"]) {
      expect(configError({ PB_LOGIN_LOCKOUT_MINUTES: hostile }).message, hostile).toContain(
        "PB_LOGIN_LOCKOUT_MINUTES",
      );
    }
  });

  it("reads the SMTP server and the From address, and refuses what would break a header or a URL", () => {
    expect(
      loadConfig({
        PB_SMTP_URL: "smtps://broker:s3cret@mail.example.com:465",
        PB_SMTP_FROM: " PACKAGE.broker <broker@example.com> ",
      }).smtp,
    ).toEqual({
      url: "smtps://broker:s3cret@mail.example.com:465",
      from: "PACKAGE.broker <broker@example.com>",
    });
    expect(
      loadConfig({ PB_SMTP_URL: "smtp://127.0.0.1:2525", PB_SMTP_FROM: "broker@example.com" }).smtp,
    ).toEqual({
      url: "smtp://127.0.0.1:2525",
      from: "broker@example.com",
    });
    expect(loadConfig({ PB_SMTP_FROM: "broker@example.com" }).smtp).toBeNull();
    expect(configError({ PB_SMTP_URL: "smtp://mail.example.com" }).message).toContain(
      "PB_SMTP_FROM: must be set when PB_SMTP_URL is",
    );
    for (const hostile of [
      "http://mail.example.com",
      "mail.example.com:25",
      "smtp://",
      "smtp:mail",
      "smtps:///x",
    ]) {
      expect(configError({ PB_SMTP_URL: hostile, PB_SMTP_FROM: "a@example.com" }).message, hostile).toContain(
        "PB_SMTP_URL: must be smtp://",
      );
    }
    for (const hostile of [
      "broker",
      "Broker <broker>",
      "Evil\r\nBcc: all@example.com <broker@example.com>",
      "admin@bank.example <broker@example.com>",
      '"Quoted" <broker@example.com>',
      "broker@example.com\nBcc: x@example.com",
      "a b@example.com",
    ]) {
      expect(configError({ PB_SMTP_FROM: hostile }).message, hostile).toContain(
        "PB_SMTP_FROM: must be an e-mail address",
      );
    }
  });

  it("treats empty variables as unset, and ignores other variables", () => {
    expect(loadConfig({ PB_PORT: "", PB_BASE_URL: "", HOME: "/root", PB_UNKNOWN: "x" }).port).toBe(8080);
  });

  it("puts the SQLite file in the data dir, and derives the base URL from host and port", () => {
    const config = loadConfig({ PB_DATA_DIR: "/srv/broker", PB_PORT: "9000", PB_HOST: "broker.internal" });
    expect(config.database).toEqual({ kind: "sqlite", file: "/srv/broker/broker.sqlite" });
    expect(config.baseUrl).toBe("http://broker.internal:9000");
    expect(loadConfig({ PB_HOST: "::1", PB_PORT: "81" }).baseUrl).toBe("http://[::1]:81");
    expect(loadConfig({ PB_HOST: "::" }).baseUrl).toBe("http://localhost:8080");
  });

  it("resolves a relative data dir", () => {
    expect(loadConfig({ PB_DATA_DIR: "var/pb" }).dataDir).toBe(path.resolve("var/pb"));
  });

  it("trims the trailing slashes of PB_BASE_URL and keeps its path", () => {
    expect(loadConfig({ PB_BASE_URL: "https://repo.example.com/" }).baseUrl).toBe("https://repo.example.com");
    expect(loadConfig({ PB_BASE_URL: "https://repo.example.com/composer//" }).baseUrl).toBe(
      "https://repo.example.com/composer",
    );
  });

  it("keeps PB_BASE_URL in the canonical form metadata and dist URLs share", () => {
    expect(loadConfig({ PB_BASE_URL: "HTTP://Repo.Example.COM:80/Composer/" }).baseUrl).toBe(
      "http://repo.example.com/Composer",
    );
    expect(loadConfig({ PB_BASE_URL: "https://repo.example.com:8443" }).baseUrl).toBe(
      "https://repo.example.com:8443",
    );
  });

  it("selects PostgreSQL for a postgres URL, SQLite otherwise", () => {
    for (const url of ["postgres://u:p@db:5432/broker", "postgresql://db/broker"]) {
      expect(loadConfig({ PB_DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
    }
    expect(loadConfig({ PB_DATABASE_URL: "sqlite::memory:" }).database).toEqual({
      kind: "sqlite",
      file: ":memory:",
    });
    expect(loadConfig({ PB_DATABASE_URL: "sqlite:/tmp/x.sqlite" }).database).toEqual({
      kind: "sqlite",
      file: "/tmp/x.sqlite",
    });
    expect(loadConfig({ PB_DATABASE_URL: "file:rel.sqlite" }).database).toEqual({
      kind: "sqlite",
      file: path.resolve("rel.sqlite"),
    });
    expect(loadConfig({ PB_DATABASE_URL: "/var/lib/pb.sqlite" }).database).toEqual({
      kind: "sqlite",
      file: "/var/lib/pb.sqlite",
    });
  });

  it("reads the flags, the log level, the upload limit and the secret key", () => {
    for (const [value, expected] of [
      ["true", true],
      ["1", true],
      ["yes", true],
      ["false", false],
      ["0", false],
      ["no", false],
    ] as const) {
      expect(loadConfig({ PB_ALLOW_PRIVATE_SOURCES: value }).allowPrivateSources, value).toBe(expected);
    }
    expect(loadConfig({ PB_LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(loadConfig({ PB_MAX_UPLOAD_BYTES: "1024" }).maxUploadBytes).toBe(1024);
    const base64 = Buffer.alloc(32, 7).toString("base64");
    expect(loadConfig({ PB_SECRET_KEY: base64 }).secretKey).toBe(base64);
    const hex = "ab".repeat(32);
    expect(loadConfig({ PB_SECRET_KEY: hex }).secretKey).toBe(hex);
  });

  it.each([
    ["PB_PORT", "abc", /PB_PORT: must be a port number/],
    ["PB_PORT", "70000", /PB_PORT: must be between 0 and 65535/],
    ["PB_PORT", "-1", /PB_PORT: must be between 0 and 65535/],
    ["PB_PORT", "80.5", /PB_PORT: must be a whole number/],
    ["PB_BASE_URL", "ftp://x", /PB_BASE_URL: must be an absolute http\(s\) URL/],
    ["PB_BASE_URL", "not a url", /PB_BASE_URL: must be an absolute http\(s\) URL/],
    ["PB_BASE_URL", "/relative", /PB_BASE_URL: must be an absolute http\(s\) URL/],
    [
      "PB_BASE_URL",
      "http://user:secret@h/",
      /PB_BASE_URL: must not contain credentials, a query or a fragment/,
    ],
    ["PB_BASE_URL", "http://h/?x=1", /PB_BASE_URL: must not contain credentials, a query or a fragment/],
    ["PB_BASE_URL", "http://h/#top", /PB_BASE_URL: must not contain credentials, a query or a fragment/],
    ["PB_SECRET_KEY", "short", /PB_SECRET_KEY: must be 32 bytes/],
    ["PB_LOG_LEVEL", "loud", /PB_LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent/],
    ["PB_ALLOW_PRIVATE_SOURCES", "maybe", /PB_ALLOW_PRIVATE_SOURCES: must be true or false/],
    ["PB_MAX_UPLOAD_BYTES", "0", /PB_MAX_UPLOAD_BYTES: must be positive/],
    ["PB_MAX_UPLOAD_BYTES", "lots", /PB_MAX_UPLOAD_BYTES: must be a number of bytes/],
    [
      "PB_DATABASE_URL",
      "mysql://db/x",
      /PB_DATABASE_URL: must be postgres:\/\/\.\.\., sqlite:PATH, or a file path/,
    ],
  ])("refuses %s=%s with a ConfigError naming the variable and the rule", (name, value, message) => {
    const error = configError({ [name]: value });
    expect(error.name).toBe("ConfigError");
    expect(error.message).toMatch(/^Invalid configuration:/);
    expect(error.message).toMatch(message);
  });

  it("reports every invalid variable at once", () => {
    const error = configError({ PB_PORT: "abc", PB_LOG_LEVEL: "loud" });
    expect(error.message).toMatch(/PB_PORT/);
    expect(error.message).toMatch(/PB_LOG_LEVEL/);
  });

  describe("blob storage (PB_BLOB_URL, PB_S3_*)", () => {
    it("selects a bucket and prefix, with the S3 settings", () => {
      const config = loadConfig({
        PB_BLOB_URL: "s3://dists.example-corp/broker/prod/",
        PB_S3_ENDPOINT: "https://minio.internal:9000/",
        PB_S3_REGION: "eu-central-1",
        PB_S3_FORCE_PATH_STYLE: "true",
        PB_S3_ACCESS_KEY_ID: "AKIAEXAMPLE",
        PB_S3_SECRET_ACCESS_KEY: "s3cr3t/with+chars",
      });
      expect(config.blobs).toEqual({
        kind: "s3",
        bucket: "dists.example-corp",
        prefix: "broker/prod",
        endpoint: "https://minio.internal:9000",
        region: "eu-central-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t/with+chars" },
      });
    });

    it("defaults to the bucket's root, us-east-1, virtual-host style and the SDK's credentials", () => {
      expect(loadConfig({ PB_BLOB_URL: "s3://my-bucket" }).blobs).toEqual({
        kind: "s3",
        bucket: "my-bucket",
        prefix: "",
        endpoint: undefined,
        region: "us-east-1",
        forcePathStyle: false,
        credentials: undefined,
      });
    });

    it("selects a folder for a file URL", () => {
      const directory = path.join(os.tmpdir(), "pb dists");
      const url = new URL(`file://${directory}`).href;
      expect(loadConfig({ PB_BLOB_URL: url }).blobs).toEqual({ kind: "fs", directory });
    });

    it.each([
      ["PB_BLOB_URL", "http://bucket/prefix", /PB_BLOB_URL: must be s3:\/\/bucket\[\/prefix\] or file:/],
      ["PB_BLOB_URL", "/var/lib/dists", /PB_BLOB_URL: must be s3:\/\//],
      ["PB_BLOB_URL", "s3://", /PB_BLOB_URL: bucket name must be 3 to 63 characters long/],
      ["PB_BLOB_URL", "s3://ab", /PB_BLOB_URL: bucket name must be 3 to 63/],
      ["PB_BLOB_URL", `s3://${"a".repeat(64)}`, /PB_BLOB_URL: bucket name must be 3 to 63/],
      ["PB_BLOB_URL", "s3://My_Bucket", /PB_BLOB_URL: bucket name must be lowercase letters/],
      ["PB_BLOB_URL", "s3://-bucket", /PB_BLOB_URL: bucket name must be lowercase letters/],
      ["PB_BLOB_URL", "s3://a..b", /PB_BLOB_URL: bucket name must not contain two dots/],
      ["PB_BLOB_URL", "s3://192.168.1.10", /PB_BLOB_URL: bucket name must not look like an IP address/],
      ["PB_BLOB_URL", "s3://xn--bucket", /PB_BLOB_URL: bucket name must not start with xn--/],
      ["PB_BLOB_URL", "s3://user:pw@bucket", /PB_BLOB_URL: bucket name must be lowercase letters/],
      ["PB_BLOB_URL", "s3://bucket?x=1", /PB_BLOB_URL: must be s3:/],
      ["PB_BLOB_URL", "s3://bucket/a/../b", /PB_BLOB_URL: prefix must not contain \. or \.\. segments/],
      ["PB_BLOB_URL", "s3://bucket/a//b", /PB_BLOB_URL: prefix must not contain empty segments/],
      ["PB_BLOB_URL", "s3://bucket/a b", /PB_BLOB_URL: prefix may only contain/],
      ["PB_BLOB_URL", "s3://bucket/a%2fb", /PB_BLOB_URL: prefix may only contain/],
      ["PB_BLOB_URL", "file://server/share", /PB_BLOB_URL: must be file:\/\/\/absolute\/path/],
      ["PB_S3_ENDPOINT", "minio:9000", /PB_S3_ENDPOINT: must be an absolute http\(s\) URL/],
      ["PB_S3_ENDPOINT", "https://key:secret@minio", /PB_S3_ENDPOINT: must not contain credentials/],
      ["PB_S3_REGION", "EU West", /PB_S3_REGION: must be a region name/],
      ["PB_S3_FORCE_PATH_STYLE", "maybe", /PB_S3_FORCE_PATH_STYLE: must be true or false/],
      ["PB_S3_ACCESS_KEY_ID", "with space", /PB_S3_ACCESS_KEY_ID: must be 1 to 128 printable/],
    ])("refuses %s=%s", (name, value, message) => {
      expect(configError({ PB_BLOB_URL: "s3://bucket", [name]: value }).message).toMatch(message);
    });

    it("never repeats a refused secret or URL in the message", () => {
      const secret = "top secret\nvalue";
      const error = configError({
        PB_BLOB_URL: "s3://user:hunter2@bucket",
        PB_S3_ACCESS_KEY_ID: "AKIA",
        PB_S3_SECRET_ACCESS_KEY: secret,
      });
      expect(error.message).toMatch(/PB_S3_SECRET_ACCESS_KEY: must be 1 to 256 printable/);
      expect(error.message).not.toContain("hunter2");
      expect(error.message).not.toContain("top secret");
    });

    it("refuses S3 settings without an s3:// PB_BLOB_URL, and a key without its secret", () => {
      expect(configError({ PB_S3_ENDPOINT: "http://127.0.0.1:9000" }).message).toMatch(
        /PB_S3_ENDPOINT: is only used with PB_BLOB_URL=s3:\/\//,
      );
      expect(configError({ PB_BLOB_URL: "file:///srv/dists", PB_S3_ACCESS_KEY_ID: "AKIA" }).message).toMatch(
        /PB_S3_ACCESS_KEY_ID: is only used with PB_BLOB_URL=s3:\/\//,
      );
      expect(configError({ PB_BLOB_URL: "s3://bucket", PB_S3_ACCESS_KEY_ID: "AKIA" }).message).toMatch(
        /PB_S3_SECRET_ACCESS_KEY: must be set with PB_S3_ACCESS_KEY_ID/,
      );
      expect(configError({ PB_BLOB_URL: "s3://bucket", PB_S3_SECRET_ACCESS_KEY: "x" }).message).toMatch(
        /PB_S3_ACCESS_KEY_ID: must be set with PB_S3_SECRET_ACCESS_KEY/,
      );
    });
  });
});
