import { z } from "zod";
import { weekdays } from "../../audit/alerts/business-hours.ts";
import { ipModes } from "../../settings/setting-definitions.ts";
import type { SettingsService } from "../../settings/settings-service.ts";
import { parseSettingsPatch, settingsPatchSchema } from "../../settings/settings-patch.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { legalHoldSchema, retentionDaysSchema } from "./audit-schemas.ts";

const settingsSchema = z
  .object({
    security: z.object({
      requireTwoFactor: z.boolean().meta({
        description: "Everyone must use 2FA: a person without it can only enrol after signing in.",
      }),
    }),
    alerts: z.object({
      businessHours: z
        .object({
          timeZone: z.string().meta({ description: "An IANA time zone." }),
          days: z.array(z.enum(weekdays)),
          start: z.string().meta({ description: "HH:MM, inclusive." }),
          end: z.string().meta({ description: "HH:MM, exclusive; before the start spans midnight." }),
        })
        .meta({ description: "When configuration changes are expected (alert rules)." }),
    }),
    audit: z.object({
      retentionDays: retentionDaysSchema,
      legalHold: legalHoldSchema.meta({
        description: "Read-only here: see /api/audit/retention/legal-hold.",
      }),
      ipMode: z.enum(ipModes).meta({
        description:
          "What of a client's IP address new audit events keep: full, truncate (/24, /48), hash (keyed HMAC pseudonym), none. Until set, PB_AUDIT_IP_MODE; once set, the setting wins.",
      }),
      ipModeSource: z.enum(["setting", "environment"]).meta({
        description: "Read-only: `setting` once audit.ipMode was set, else `environment` (PB_AUDIT_IP_MODE).",
      }),
    }),
  })
  .meta({ id: "Settings", description: "The runtime settings (docs/settings.md)." });

/** /api/settings: the runtime settings (`settings:manage`), each change audited with before and after. */
export function settingsRoutes(deps: {
  settings: SettingsService;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/settings",
    tag: "Settings",
    tagDescription:
      "Runtime settings: the two-factor policy, business hours, audit retention, the audit IP mode.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "getSettings",
      summary: "The settings",
      access: "settings:manage",
      responses: { 200: { description: "Every setting with its value.", schema: settingsSchema } },
    },
    async (c) => c.json(await deps.settings.get()),
  );

  api.add(
    {
      method: "patch",
      path: "/",
      operationId: "updateSettings",
      summary: "Change settings",
      description:
        'A nested patch of the keys to change, e.g. `{"security": {"requireTwoFactor": true}}`. One `configuration.settings_changed` event (warning) with the changed keys before and after; retention days are changed through the audit retention (its `retention_changed` event).',
      access: "settings:manage",
      audit: { event: "configuration", action: "settings_changed", target: "settings" },
      body: settingsPatchSchema,
      // The settings' own check: `400 InvalidSettings` with every refused path, as at the console.
      parseBody: (value) => {
        parseSettingsPatch(value);
        return value;
      },
      responses: {
        200: { description: "The settings as changed.", schema: settingsSchema },
        409: problemResponse(
          "Turning the 2FA policy on without 2FA of one's own (TwoFactorRequiredForPolicy), or another change is being applied (SettingsBusy).",
        ),
      },
    },
    async (c, { body }) => c.json(await deps.settings.update(body, c.get("audit"))),
  );

  return api;
}
