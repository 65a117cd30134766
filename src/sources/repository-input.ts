import { z } from "zod";
import type { RepositoryType } from "../storage/database/database-schema.ts";
import { composerCredentialsSchema, type ComposerCredentials } from "./composer/composer-credentials.ts";
import { gitCredentialsSchema, type GitCredentials } from "./git/git-credentials.ts";

/**
 * What `POST /api/repositories`, `PATCH /api/repositories/{id}` and `package-broker repo add|update`
 * accept. Credentials take the form of the repository's type (git or composer).
 */
const rawCredentials = z.record(z.string(), z.unknown()).meta({
  description:
    'git: `{ "username", "password" }` (https) or `{ "sshKey" }`; composer: `{ "username", "password" }` (HTTP Basic), `{ "token" }` (Bearer) or `{ "header", "value" }`.',
});

const packagePatternsInput = z
  .array(z.string().max(255), { error: "packages must be a list of package patterns" })
  .max(100)
  .meta({
    description: "composer only: the package patterns this upstream may provide (`vendor/*`); none: any.",
  });

const eagerPatternsInput = z
  .array(z.string().max(255), { error: "eagerPackages must be a list of package patterns" })
  .max(100)
  .meta({
    description:
      "composer only: the packages a sync mirrors ahead of time (metadata and every dist), as exact names or patterns with `*` (`vendor/*`); none: lazy only.",
  });

/** Credentials checked against the form of the repository's type; errors name `credentials.<field>`. */
export function parseRepositoryCredentials(
  type: RepositoryType,
  value: Record<string, unknown>,
  context: z.RefinementCtx,
): GitCredentials | ComposerCredentials {
  const result = (type === "git" ? gitCredentialsSchema : composerCredentialsSchema).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    context.addIssue({ code: "custom", message: issue.message, path: ["credentials", ...issue.path] });
  }
  return z.NEVER;
}

export const addRepositorySchema = z
  .object({
    type: z.enum(["git", "composer"], { error: 'type must be "git" or "composer"' }).default("git"),
    url: z.string().min(1, { error: "url is required" }).max(2048),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
        error: "name must be 1-100 letters, digits, dots, dashes or underscores",
      })
      .optional(),
    credentials: rawCredentials.optional(),
    packages: packagePatternsInput.optional(),
    eagerPackages: eagerPatternsInput.optional(),
  })
  .strict()
  .transform((value, context): AddRepository => {
    const { credentials, ...rest } = value;
    if (rest.type === "git" && (rest.packages !== undefined || rest.eagerPackages !== undefined)) {
      const field = rest.packages === undefined ? "eagerPackages" : "packages";
      context.addIssue({ code: "custom", message: `${field} is for composer repositories`, path: [field] });
      return z.NEVER;
    }
    return credentials === undefined
      ? rest
      : { ...rest, credentials: parseRepositoryCredentials(rest.type, credentials, context) };
  });

export type AddRepositoryInput = z.input<typeof addRepositorySchema>;

interface AddRepository {
  readonly type: RepositoryType;
  readonly url: string;
  readonly name?: string | undefined;
  readonly packages?: string[] | undefined;
  readonly eagerPackages?: string[] | undefined;
  readonly credentials?: GitCredentials | ComposerCredentials;
}

export const updateRepositorySchema = z
  .object({
    url: z.string().min(1, { error: "url is required" }).max(2048).optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
        error: "name must be 1-100 letters, digits, dots, dashes or underscores",
      })
      .optional(),
    /** New credentials, or null to remove them. */
    credentials: rawCredentials.nullable().optional(),
    packages: packagePatternsInput.optional(),
    eagerPackages: eagerPatternsInput.optional(),
  })
  .strict();

export type UpdateRepositoryInput = z.input<typeof updateRepositorySchema>;
