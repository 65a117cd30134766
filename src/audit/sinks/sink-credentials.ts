import { z } from "zod";
import { invalidInput } from "../../errors/domain-error.ts";
import { newId } from "../../ids/new-id.ts";
import { SIGNED_TYPES, TOKEN_REQUIRED, type NewSinkInput } from "./sink-input.ts";
import type { SigningSecret, SinkTransportConfig } from "./sink-transport.ts";

/** A webhook signing secret as stored: it signs until `retiresAt` (null: until replaced). */
export interface StoredSigningSecret extends SigningSecret {
  readonly createdAt: string;
  readonly retiresAt: string | null;
}

/** The user name and password of a receiver's URL (`https://user:pass@host`), kept out of it. */
export interface Userinfo {
  readonly username: string;
  readonly password: string;
}

/** What a sink's sealed `secret` column holds. */
export interface SinkCredentials {
  readonly token?: string;
  readonly secrets?: readonly StoredSigningSecret[];
  readonly userinfo?: Userinfo;
}

const storedSecret = z.object({
  keyId: z.string(),
  secret: z.string(),
  createdAt: z.string(),
  retiresAt: z.string().nullable(),
});
const credentialsSchema = z.object({
  token: z.string().optional(),
  secrets: z.array(storedSecret).optional(),
  userinfo: z.object({ username: z.string(), password: z.string() }).optional(),
});

/** The credentials back from their (already opened) JSON. */
export function parseSinkCredentials(json: string): SinkCredentials {
  const { token, secrets, userinfo } = credentialsSchema.parse(JSON.parse(json));
  return {
    ...(token === undefined ? {} : { token }),
    ...(secrets === undefined ? {} : { secrets }),
    ...(userinfo === undefined ? {} : { userinfo }),
  };
}

/** The secrets that sign at `now`, newest first: the current one and any in its overlap window. */
export function activeSecrets(credentials: SinkCredentials, now: Date): SigningSecret[] {
  const at = now.toISOString();
  return (credentials.secrets ?? [])
    .filter((secret) => secret.retiresAt === null || secret.retiresAt > at)
    .map(({ keyId, secret }) => ({ keyId, secret }));
}

/**
 * The credentials after a rotation: `secret` signs from now on under a new key id; the secrets
 * that signed until now keep signing for `overlapMs` (so receivers can move to the new one),
 * then retire. Secrets already retired are dropped.
 */
export function rotatedCredentials(
  credentials: SinkCredentials,
  secret: string,
  keyId: string,
  now: Date,
  overlapMs: number,
): SinkCredentials {
  const at = now.toISOString();
  const retiresAt = new Date(now.getTime() + overlapMs).toISOString();
  const kept = (credentials.secrets ?? [])
    .filter((old) => old.retiresAt === null || old.retiresAt > at)
    .map((old) => ({
      ...old,
      retiresAt: old.retiresAt === null || old.retiresAt > retiresAt ? retiresAt : old.retiresAt,
    }));
  return { ...credentials, secrets: [{ keyId, secret, createdAt: at, retiresAt: null }, ...kept] };
}

/**
 * A receiver URL split into what is stored in clear (the URL without user name and password)
 * and what is sealed (them). An unparsable URL is returned as it is, for the transport to refuse.
 */
export function splitUserinfo(url: string): { readonly url: string; readonly userinfo?: Userinfo } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (parsed.username === "" && parsed.password === "") return { url };
  const userinfo = {
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), userinfo };
}

/** The URL a transport is given: the stored one with its sealed user name and password put back. */
export function withUserinfo(url: string, userinfo: Userinfo | undefined): string {
  if (userinfo === undefined) return url;
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(userinfo.username);
  parsed.password = encodeURIComponent(userinfo.password);
  return parsed.toString();
}

/** A new signing key's id: short, random, safe in a header. */
export function newSigningKeyId(): string {
  return `k${newId().slice(-10).toLowerCase()}`;
}

/**
 * The credentials of a new sink, checked against its type: Splunk and Datadog need a token, a
 * webhook needs a signing secret (and only a webhook takes one).
 */
export function newSinkCredentials(
  sink: Pick<NewSinkInput, "type" | "token" | "secret">,
  userinfo: Userinfo | undefined,
  now: string,
): SinkCredentials {
  if (TOKEN_REQUIRED.has(sink.type) && sink.token === undefined) {
    throw invalidInput("SinkTokenRequired", `a ${sink.type} sink needs a token (--token)`);
  }
  if (SIGNED_TYPES.has(sink.type) !== (sink.secret !== undefined)) {
    throw invalidInput(
      "SinkSecretMismatch",
      SIGNED_TYPES.has(sink.type)
        ? "a webhook sink needs a signing secret (--secret), at least 16 characters"
        : `a ${sink.type} sink does not sign; give a token (--token), not a secret`,
    );
  }
  return {
    ...(userinfo === undefined ? {} : { userinfo }),
    ...(sink.token === undefined ? {} : { token: sink.token }),
    ...(sink.secret === undefined
      ? {}
      : {
          secrets: [
            {
              keyId: newSigningKeyId(),
              secret: sink.secret,
              createdAt: now,
              retiresAt: null,
            },
          ],
        }),
  };
}

/** The credentials as a transport takes them (the signing secrets without their dates). */
export function transportCredentials(
  credentials: SinkCredentials,
): Pick<SinkTransportConfig, "token" | "secrets"> {
  return {
    ...(credentials.token === undefined ? {} : { token: credentials.token }),
    ...(credentials.secrets === undefined
      ? {}
      : { secrets: credentials.secrets.map(({ keyId, secret }) => ({ keyId, secret })) }),
  };
}
