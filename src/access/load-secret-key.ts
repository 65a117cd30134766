import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { invalidInput } from "../errors/domain-error.ts";

export const SECRET_KEY_FILE = "secret.key";

const KEY_BYTES = 32;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export interface LoadedSecretKey {
  readonly key: Buffer;
  /** True when the key file was created by this call. */
  readonly generated: boolean;
  /** True when the key file can be read by its group or by others (the caller should warn). */
  readonly insecurePermissions: boolean;
}

/**
 * The key of the SecretBox: `configured` (PB_SECRET_KEY, base64 or hex of 32 bytes) when given;
 * otherwise `<dataDir>/secret.key`, generated (32 random bytes, written as base64, mode 0600) when
 * absent. The file is created atomically and never overwritten, so concurrent starts agree.
 */
export function loadSecretKey(options: { dataDir: string; configured: string | undefined }): LoadedSecretKey {
  if (options.configured !== undefined) {
    const key = decodeKey(options.configured.trim());
    if (key === null) {
      throw invalidInput(
        "InvalidSecretKey",
        "PB_SECRET_KEY must be 32 bytes, base64 (44 characters) or hex (64 characters)",
      );
    }
    return { key, generated: false, insecurePermissions: false };
  }
  const file = path.join(options.dataDir, SECRET_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing !== null) return existing;
  return generateKeyFile(options.dataDir, file);
}

function decodeKey(text: string): Buffer | null {
  if (BASE64_KEY.test(text)) return Buffer.from(text, "base64");
  if (HEX_KEY.test(text)) return Buffer.from(text, "hex");
  return null;
}

function readKeyFile(file: string): LoadedSecretKey | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw error;
  }
  if (!stat.isFile()) {
    throw invalidInput("InvalidSecretKey", `${file} is not a regular file`);
  }
  const content = fs.readFileSync(file);
  const key = decodeKey(content.toString("latin1").trim()) ?? (content.length === KEY_BYTES ? content : null);
  if (key === null) {
    throw invalidInput(
      "InvalidSecretKey",
      `${file} does not hold a 32-byte key (base64 or hex); restore it, or stored credentials cannot be read`,
    );
  }
  return { key, generated: false, insecurePermissions: (stat.mode & 0o077) !== 0 };
}

function generateKeyFile(dataDir: string, file: string): LoadedSecretKey {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = fs.openSync(temporary, "wx", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, `${key.toString("base64")}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    // link() fails when the file exists: the key of a concurrent start wins and is read back.
    fs.linkSync(temporary, file);
  } catch (error) {
    if (!isErrno(error, "EEXIST")) throw error;
    const winner = readKeyFile(file);
    if (winner === null) throw error;
    return winner;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return { key, generated: true, insecurePermissions: false };
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
