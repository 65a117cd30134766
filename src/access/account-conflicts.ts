import { conflict, type DomainError } from "../errors/domain-error.ts";

/** 409 `UserExists`: the address has an account (an invitation for it, or its use, is refused). */
export function userExists(): DomainError {
  return conflict("UserExists", "a user with this e-mail address already exists");
}

/** 409 `AdminExists`: a setup link is made or used only while no active admin exists. */
export function adminExists(): DomainError {
  return conflict(
    "AdminExists",
    "an administrator exists already: sign in, or ask an administrator for an invitation",
  );
}
