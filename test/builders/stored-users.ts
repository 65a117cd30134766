import type { Kysely } from "kysely";
import type { Database } from "../../src/storage/database/database-schema.ts";
import { UserRecords } from "../../src/storage/database/user-records.ts";

/**
 * Stores viewers `usr_<name>` (`<name>@example.org`, no password) straight through UserRecords:
 * the owners that sessions, recovery codes and the like need for their foreign keys.
 */
export async function insertUsers(
  db: Kysely<Database>,
  names: readonly string[],
  createdAt = "2026-01-01T00:00:00.000Z",
): Promise<void> {
  const users = new UserRecords(db);
  for (const name of names) {
    await users.insert({
      id: `usr_${name}`,
      email: `${name}@example.org`,
      name: null,
      role: "viewer",
      passwordHash: null,
      createdAt,
    });
  }
}
