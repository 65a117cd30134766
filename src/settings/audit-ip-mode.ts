import type { IpMode } from "../audit/ip-privacy.ts";
import type { Logger } from "../observability/logger.ts";
import type { SettingsRecords } from "../storage/database/settings-records.ts";
import { RUNTIME_SETTINGS_KEY, storedOverridesFrom } from "./runtime-settings.ts";

/** How often a process re-reads `audit.ipMode`, so that a change made elsewhere counts here. */
export const IP_MODE_REFRESH_MS = 5_000;

/**
 * The IP mode in force for new audit events (`audit.ipMode`, docs/settings.md), kept in memory:
 * every request reads it, so it must cost no database read. The setting once set wins; never
 * set, PB_AUDIT_IP_MODE (the `fallback`) applies.
 *
 * A change made in this process counts at once (the settings service calls `changed`); one made
 * by another process or node (a worker of `serve`, the console, another node) counts from this
 * process's next refresh, a read of one row every few seconds. Loaded before the first request.
 */
export class AuditIpMode {
  /** PB_AUDIT_IP_MODE: the mode while the setting was never set. */
  readonly fallback: IpMode;
  readonly #records: Pick<SettingsRecords, "get">;
  readonly #refreshMs: number;
  readonly #logger: Pick<Logger, "warn"> | undefined;
  #mode: IpMode;
  /** Counts changes made here: a refresh that read before the latest one must not undo it. */
  #changes = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: {
    records: Pick<SettingsRecords, "get">;
    fallback: IpMode;
    refreshMs?: number | undefined;
    logger?: Pick<Logger, "warn"> | undefined;
  }) {
    this.#records = options.records;
    this.fallback = options.fallback;
    this.#mode = options.fallback;
    this.#refreshMs = options.refreshMs ?? IP_MODE_REFRESH_MS;
    this.#logger = options.logger;
  }

  /** The mode for an event recorded now: no I/O. */
  current(): IpMode {
    return this.#mode;
  }

  /** Told by the settings service of this process, once a change is stored. */
  changed(mode: IpMode): void {
    this.#changes += 1;
    this.#mode = mode;
  }

  /** Reads the stored setting (one row); keeps the mode it has when the read fails. */
  async refresh(): Promise<void> {
    const changes = this.#changes;
    const override = storedOverridesFrom(await this.#records.get(RUNTIME_SETTINGS_KEY))["audit.ipMode"];
    if (changes === this.#changes) this.#mode = override ?? this.fallback;
  }

  /** Refreshes every `refreshMs` until `stop` (the timer never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined || this.#refreshMs <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#refreshing !== undefined) return;
      this.#refreshing = this.refresh()
        .catch((error: unknown) => {
          this.#logger?.warn(
            { context: { error: error instanceof Error ? error.message : String(error) } },
            "Could not re-read the audit IP mode; keeping the current one",
          );
        })
        .finally(() => {
          this.#refreshing = undefined;
        });
    }, this.#refreshMs);
    this.#timer.unref();
  }

  /** Stops refreshing, after a read in progress (before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#refreshing;
  }
}
