import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { invalidInput } from "../../errors/domain-error.ts";

/** How the server authenticates to a git remote. Stored sealed (SecretBox), never shown. */
export type GitCredentials =
  | { readonly kind: "https"; readonly username: string; readonly password: string }
  | { readonly kind: "ssh-key"; readonly privateKey: string };

export const MAX_GIT_PASSWORD_BYTES = 4 * 1024;
export const MAX_SSH_KEY_BYTES = 16 * 1024;

const bytesAtMost = (max: number) => (value: string) => Buffer.byteLength(value, "utf8") <= max;
const noControl = (value: string): boolean => !/\p{Cc}/u.test(value);
const PRIVATE_KEY =
  /^-----BEGIN ([A-Z0-9]+ )?PRIVATE KEY-----\n[\s\S]+\n-----END ([A-Z0-9]+ )?PRIVATE KEY-----$/;

const username = z
  .string({ error: "username must be a string" })
  .min(1, { error: "username must not be empty" })
  .max(256, { error: "username must be at most 256 characters" })
  .refine(noControl, { error: "username must not contain control characters" })
  .refine((value) => !value.includes(":"), { error: 'username must not contain ":"' });

const password = z
  .string({ error: "password must be a string" })
  .min(1, { error: "password must not be empty" })
  .refine(bytesAtMost(MAX_GIT_PASSWORD_BYTES), {
    error: `password must be at most ${MAX_GIT_PASSWORD_BYTES} bytes`,
  })
  .refine(noControl, { error: "password must not contain control characters" });

const privateKey = z
  .string({ error: "sshKey must be a string" })
  .refine(bytesAtMost(MAX_SSH_KEY_BYTES), { error: `sshKey must be at most ${MAX_SSH_KEY_BYTES} bytes` })
  .transform(normalizeKey)
  .refine((value) => PRIVATE_KEY.test(value), {
    error:
      'sshKey must be a PEM private key ("-----BEGIN OPENSSH PRIVATE KEY-----" ...), without a passphrase',
  })
  .refine((value) => !/^Proc-Type: 4,ENCRYPTED$/m.test(value), {
    error: "sshKey must not be protected by a passphrase",
  });

const credentialForms = {
  https: z.object({ username, password }).strict(),
  ssh: z.object({ sshKey: privateKey }).strict(),
  storedHttps: z.object({ kind: z.literal("https"), username, password }).strict(),
  storedSsh: z.object({ kind: z.literal("ssh-key"), privateKey }).strict(),
};

const FORMS_MESSAGE = 'credentials must be { "username", "password" } (https) or { "sshKey" } (ssh)';

/**
 * Credentials as the API takes them — `{ "username", "password" }` for https, `{ "sshKey" }` for
 * ssh — and as they are stored (`{ "kind", ... }`, the output of this schema). The form is chosen
 * by the keys present, so that errors name the field at fault.
 */
export const gitCredentialsSchema = z
  .record(z.string(), z.unknown(), { error: FORMS_MESSAGE })
  .transform((value, context): GitCredentials => {
    const form =
      "kind" in value
        ? value.kind === "ssh-key"
          ? credentialForms.storedSsh
          : credentialForms.storedHttps
        : "sshKey" in value
          ? credentialForms.ssh
          : "username" in value || "password" in value
            ? credentialForms.https
            : null;
    if (form === null) {
      context.addIssue({ code: "custom", message: FORMS_MESSAGE });
      return z.NEVER;
    }
    const result = form.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        context.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
      return z.NEVER;
    }
    const data = result.data;
    if ("sshKey" in data) return { kind: "ssh-key", privateKey: data.sshKey };
    if ("kind" in data) return data;
    return { kind: "https", username: data.username, password: data.password };
  });

function normalizeKey(key: string): string {
  return key.replace(/\r\n?/g, "\n").trim();
}

/** What a git child process needs to authenticate, and what to scrub from its output. */
export interface GitCredentialEnvironment {
  /** Variables to add to the child's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Strings that must never reach a log or an error message. */
  readonly secrets: readonly string[];
  /** Deletes the temporary key file, if any. Safe to call more than once. */
  cleanup(): Promise<void>;
}

export interface GitCredentialOptions {
  /** The remote URL; the https Authorization header is sent to its origin only. */
  readonly url: string;
  /** Where ssh remembers host keys (trust on first use), e.g. `<dataDir>/known_hosts`. */
  readonly knownHostsFile: string;
  /** Where the temporary key file goes; defaults to the OS temporary directory. */
  readonly temporaryDirectory?: string;
  /** The ssh program; tests replace it. */
  readonly sshProgram?: string;
}

/**
 * Turns credentials into environment variables for git, so that no secret is in argv (which any
 * local user sees in `ps`): https → `http.<origin>/.extraHeader: Authorization: Basic ...` through
 * GIT_CONFIG_COUNT/KEY/VALUE; ssh → the key in a 0600 temporary file named by GIT_SSH_COMMAND.
 * Without credentials ssh still runs in batch mode, with no agent and no default identities.
 */
export async function prepareGitCredentials(
  credentials: GitCredentials | undefined,
  options: GitCredentialOptions,
): Promise<GitCredentialEnvironment> {
  const ssh = [
    options.sshProgram ?? "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityAgent=none",
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    `UserKnownHostsFile=${options.knownHostsFile}`,
    "-o",
    "ConnectTimeout=30",
  ];
  const nothingToClean = (): Promise<void> => Promise.resolve();
  if (credentials === undefined) {
    return {
      env: { GIT_SSH_COMMAND: shellCommand([...ssh, "-o", "IdentityFile=none"]) },
      secrets: [],
      cleanup: nothingToClean,
    };
  }
  if (credentials.kind === "https") {
    const origin = httpOrigin(options.url);
    const token = Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64");
    return {
      env: {
        GIT_SSH_COMMAND: shellCommand([...ssh, "-o", "IdentityFile=none"]),
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: `http.${origin}.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${token}`,
      },
      secrets: [credentials.password, token],
      cleanup: nothingToClean,
    };
  }
  if (!isSshUrl(options.url)) {
    throw invalidInput("CredentialsDoNotMatchUrl", "an ssh key can only be used with an ssh repository URL");
  }
  const directory = await fs.mkdtemp(
    path.join(options.temporaryDirectory ?? os.tmpdir(), "package-broker-ssh-"),
  );
  const keyFile = path.join(directory, "key");
  try {
    await fs.writeFile(keyFile, `${normalizeKey(credentials.privateKey)}\n`, { mode: 0o600, flag: "wx" });
    await fs.chmod(keyFile, 0o600);
  } catch (error) {
    await fs.rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    env: { GIT_SSH_COMMAND: shellCommand([...ssh, "-i", keyFile]) },
    secrets: [credentials.privateKey],
    cleanup: () => fs.rm(directory, { recursive: true, force: true }),
  };
}

/** `scheme://host[:port]/` of an http(s) URL: what git's `http.<url>.*` settings match. */
function httpOrigin(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL: refused below
  }
  if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw invalidInput(
      "CredentialsDoNotMatchUrl",
      "a username and password can only be used with an https:// (or http://) repository URL",
    );
  }
  return `${parsed.protocol}//${parsed.host}/`;
}

function isSshUrl(url: string): boolean {
  return /^(ssh|git\+ssh|ssh\+git):\/\//i.test(url) || /^[^/:]+:(?!\/\/)/.test(url);
}

/** GIT_SSH_COMMAND is run by a shell: every word is single-quoted. */
function shellCommand(words: readonly string[]): string {
  return words
    .map((word) => (/^[A-Za-z0-9_=.,/:+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`))
    .join(" ");
}
