import { DomainError, invalidInput } from "../errors/domain-error.ts";
import type { UserRecord } from "../storage/database/user-records.ts";
import { loginLocked, type LoginLockout } from "./login-lockout.ts";
import { MAX_PASSWORD_INPUT_LENGTH, verifyPassword } from "./password-hash.ts";
import type { SecondFactorCheck } from "./second-factor-check.ts";

/** What a signed-in person gives to prove, once more, that they are who the session says. */
export interface ReauthenticationProof {
  /** The account's password. */
  readonly password?: unknown;
  /** A current TOTP code (only for someone with 2FA enabled). */
  readonly code?: unknown;
  /** The client's address, for the lockout (as `LoginInput.ipAddress`). */
  readonly ipAddress?: string | null;
}

export type ReauthenticationMethod = "password" | "totp";

/**
 * Re-authentication before a sensitive change of one's own account (turning 2FA off, new
 * recovery codes): a stolen session alone must not be enough. A failure counts against the
 * account and the client address exactly like a failed sign-in, so the password cannot be guessed
 * through these routes faster than through the sign-in form; while locked, nothing is checked.
 */
export class Reauthentication {
  readonly #lockout: LoginLockout;
  readonly #secondFactor: SecondFactorCheck;

  constructor(options: { lockout: LoginLockout; secondFactor: SecondFactorCheck }) {
    this.#lockout = options.lockout;
    this.#secondFactor = options.secondFactor;
  }

  /**
   * Accepts a TOTP code (when `methods` allows it and the user has 2FA enabled) or the password
   * (when allowed), preferring the code when both are given. Throws `ReauthenticationRequired`
   * (invalid) when no allowed proof is given, `ReauthenticationFailed` (forbidden) when it is
   * wrong, `LoginLocked` (too-many-requests) while the account or address is locked.
   */
  async verify(
    user: UserRecord,
    proof: ReauthenticationProof,
    methods: readonly ReauthenticationMethod[],
  ): Promise<ReauthenticationMethod> {
    const ipAddress = proof.ipAddress ?? null;
    const code = given(proof.code);
    const password = given(proof.password);
    const useCode = code !== undefined && methods.includes("totp") && user.totpEnabledAt !== null;
    const usePassword = !useCode && password !== undefined && methods.includes("password");
    if (!useCode && !usePassword) {
      throw invalidInput("ReauthenticationRequired", requiredMessage(methods, user), {
        field: methods.includes("password") ? "password" : "code",
      });
    }
    const status = await this.#lockout.status(user.email, ipAddress);
    if (status.locked) throw loginLocked(status.retryAfter);
    const accepted = useCode
      ? await this.#secondFactor.acceptTotp(user, code)
      : await checkPassword(user, password);
    if (accepted) return useCode ? "totp" : "password";
    await this.#lockout.recordFailure(user.email, ipAddress);
    throw new DomainError(
      "forbidden",
      "ReauthenticationFailed",
      useCode ? "the two-factor code is not correct" : "the password is not correct",
      { field: useCode ? "code" : "password" },
    );
  }
}

async function checkPassword(user: UserRecord, password: unknown): Promise<boolean> {
  if (typeof password !== "string" || password.length > MAX_PASSWORD_INPUT_LENGTH) return false;
  if (user.passwordHash === null) return false;
  return verifyPassword(password, user.passwordHash);
}

function requiredMessage(methods: readonly ReauthenticationMethod[], user: UserRecord): string {
  const canCode = methods.includes("totp") && user.totpEnabledAt !== null;
  if (methods.includes("password") && canCode)
    return "confirm with your password or a current two-factor code";
  return canCode ? "confirm with a current two-factor code" : "confirm with your password";
}

/** Absent, null and blank fields (forms send empty ones) are not given. */
function given(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && value.trim() === "") return undefined;
  return value;
}
