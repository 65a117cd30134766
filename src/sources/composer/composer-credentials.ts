import { z } from "zod";

/**
 * How the server authenticates to a Composer upstream. Stored sealed (SecretBox), never shown.
 * `basic`: HTTP Basic; `bearer`: `Authorization: Bearer`; `header`: one custom header (a vendor's
 * `X-Api-Key`, ...).
 */
export type ComposerCredentials =
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | { readonly kind: "bearer"; readonly token: string }
  | { readonly kind: "header"; readonly header: string; readonly value: string };

const MAX_SECRET_BYTES = 4 * 1024;
const noControl = (value: string): boolean => !/\p{Cc}/u.test(value);
const secret = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must not be empty` })
    .refine((value) => Buffer.byteLength(value, "utf8") <= MAX_SECRET_BYTES, {
      error: `${field} must be at most ${MAX_SECRET_BYTES} bytes`,
    })
    .refine(noControl, { error: `${field} must not contain control characters` });

const username = secret("username").refine((value) => !value.includes(":"), {
  error: 'username must not contain ":"',
});
// An HTTP token (RFC 9110 field-name); never one of the headers the client sets itself.
const header = z
  .string({ error: "header must be a string" })
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, { error: "header must be an HTTP header name" })
  .refine(
    (value) =>
      !["host", "via", "if-modified-since", "content-length", "connection"].includes(value.toLowerCase()),
    {
      error: "header must not be Host, Via, If-Modified-Since, Content-Length or Connection",
    },
  );

const FORMS_MESSAGE =
  'credentials must be { "username", "password" } (HTTP Basic), { "token" } (Bearer) or { "header", "value" }';

const forms = [
  z
    .object({ username, password: secret("password") })
    .strict()
    .transform((v): ComposerCredentials => ({ kind: "basic", ...v })),
  z
    .object({ token: secret("token") })
    .strict()
    .transform((v): ComposerCredentials => ({ kind: "bearer", ...v })),
  z
    .object({ header, value: secret("value") })
    .strict()
    .transform((v): ComposerCredentials => ({ kind: "header", ...v })),
];

/**
 * Credentials as the API takes them, and as stored (the output, with `kind`). The form is chosen
 * by the keys present, so that errors name the field at fault.
 */
export const composerCredentialsSchema = z
  .record(z.string(), z.unknown(), { error: FORMS_MESSAGE })
  .transform((value, context): ComposerCredentials => {
    const { kind, ...rest } = value;
    const input = kind === undefined ? value : rest;
    const form =
      "token" in input
        ? forms[1]
        : "header" in input
          ? forms[2]
          : "username" in input || "password" in input
            ? forms[0]
            : undefined;
    if (form === undefined) {
      context.addIssue({ code: "custom", message: FORMS_MESSAGE });
      return z.NEVER;
    }
    const result = form.safeParse(input);
    if (!result.success) {
      for (const issue of result.error.issues) {
        context.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
      return z.NEVER;
    }
    return result.data;
  });

/** The request header that carries the credentials. */
export function credentialHeader(credentials: ComposerCredentials): [string, string] {
  switch (credentials.kind) {
    case "basic":
      return [
        "authorization",
        `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`,
      ];
    case "bearer":
      return ["authorization", `Bearer ${credentials.token}`];
    case "header":
      return [credentials.header.toLowerCase(), credentials.value];
  }
}
