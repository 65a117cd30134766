import type { AccountLinkPurpose } from "../storage/database/account-link-records.ts";

/**
 * Where the dashboard opens each kind of link, under the public base URL. The token follows in
 * the fragment (`#…`), which browsers never send to a server: it stays out of access logs,
 * proxies and `Referer` headers.
 */
export const ACCOUNT_LINK_PATHS: Readonly<Record<AccountLinkPurpose, string>> = Object.freeze({
  invitation: "/invite",
  setup: "/setup",
  "password-reset": "/reset-password",
});

/** `https://composer.example.com/invite#TOKEN`: the base URL (trailing slashes dropped), the path, the token. */
export function accountLinkUrl(baseUrl: string, purpose: AccountLinkPurpose, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${ACCOUNT_LINK_PATHS[purpose]}#${token}`;
}
