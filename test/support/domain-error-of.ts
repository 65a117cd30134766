import { DomainError } from "../../src/errors/domain-error.ts";

/** The DomainError the promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError, but the call succeeded");
}
