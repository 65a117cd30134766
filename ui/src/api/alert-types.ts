/** GET /api/alerts/{id}: an alert with its rule, evidence, response and notifications (the OpenAPI `Alert`). */
export interface AlertDetail {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly title: string;
  readonly level: string;
  readonly group: Readonly<Record<string, string>>;
  readonly count: number;
  /** The events the alert rests on, at most 50, oldest first. */
  readonly evidence: readonly { readonly id: string; readonly seq: number }[];
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly firedAt: string;
  readonly status: "open" | "acknowledged";
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly note: string | null;
  readonly response: {
    readonly action: string;
    readonly subject: string | null;
    readonly outcome: "done" | "failed" | "skipped";
    readonly error: string | null;
  } | null;
  readonly notifications: readonly {
    readonly channel: string;
    readonly status: "sent" | "pending" | "failed";
    readonly attempts: number;
    readonly error: string | null;
    readonly sentAt: string | null;
    readonly nextAttemptAt: string | null;
  }[];
}

/** GET /api/alerts/rules: the rules in force. */
export interface AlertRuleList {
  readonly rules: readonly {
    readonly id: string;
    readonly name: string;
    readonly title: string;
    readonly kind: "base" | "correlation";
    readonly level: string;
    readonly description: string | null;
    readonly response: string | null;
  }[];
}
