import { invalidInput } from "../errors/domain-error.ts";
import { hashPassword } from "./password-hash.ts";
import { assertAcceptablePassword, type PasswordContext } from "./password-policy.ts";

/**
 * Checks a new password given by a client against the policy (`WeakPassword`), for the account's
 * e-mail address and name, and hashes it. Anything but a string is `InvalidPassword`.
 */
export async function hashNewPassword(
  input: unknown,
  context: PasswordContext,
  field = "password",
): Promise<string> {
  if (typeof input !== "string") {
    throw invalidInput("InvalidPassword", "the password must be a string", { field });
  }
  assertAcceptablePassword(input, context);
  return hashPassword(input);
}
