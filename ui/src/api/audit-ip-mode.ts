import type { Settings } from "./api-types.ts";

/** What of a client's IP address new audit events keep (`audit.ipMode`, docs/settings.md). */
export type IpMode = "full" | "truncate" | "hash" | "none";

/** Where the mode in force comes from: set on the Settings screen, or PB_AUDIT_IP_MODE. */
export type IpModeSource = "setting" | "environment";

/** The settings document with the audit IP mode (GET /api/settings). */
export interface SettingsWithIpMode extends Settings {
  readonly audit: Settings["audit"] & {
    readonly ipMode: IpMode;
    readonly ipModeSource: IpModeSource;
  };
}
