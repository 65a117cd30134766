import type { Clock } from "../../clock/clock.ts";
import type { Mailer } from "../../mail/mailer.ts";
import { postToReceiver, quoteBody } from "../sinks/receiver-post.ts";
import { webhookSignature } from "../sinks/webhook-signature.ts";
import { alertSummary, type AlertNotice } from "./alert-notice.ts";

/** Where an alert is sent: a webhook, a chat's incoming webhook, e-mail. `send` throws on failure. */
export interface AlertChannel {
  readonly name: string;
  send(notice: AlertNotice, signal: AbortSignal): Promise<void>;
}

/** The key id of the alert webhook's signature (the webhook sink's scheme). */
export const ALERT_WEBHOOK_KEY_ID = "alerts";

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<void> {
  const reply = await postToReceiver({
    url,
    headers: { "content-type": "application/json", ...headers },
    body,
    signal,
  });
  if (reply.kind === "unreachable") throw new Error(reply.error);
  if (reply.status < 200 || reply.status >= 300) {
    const said = quoteBody(reply.text);
    throw new Error(`answered HTTP ${reply.status}${said === "" ? "" : `: ${said}`}`);
  }
}

/** `POST {"type": "alert", "alert": {...}}`, signed (PB-Timestamp, PB-Signature) when a secret is set. */
export function webhookAlertChannel(url: string, secret: string | null, clock: Clock): AlertChannel {
  return {
    name: "webhook",
    send: async (notice, signal) => {
      const body = JSON.stringify({ type: "alert", alert: notice });
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const headers: Record<string, string> = {
        "pb-delivery-id": notice.id,
        "pb-timestamp": String(timestamp),
      };
      if (secret !== null) {
        headers["pb-key-ids"] = ALERT_WEBHOOK_KEY_ID;
        headers["pb-signature"] = webhookSignature(
          [{ keyId: ALERT_WEBHOOK_KEY_ID, secret }],
          timestamp,
          body,
        );
      }
      await post(url, headers, body, signal);
    },
  };
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `{"text": ...}`. */
export function slackAlertChannel(url: string): AlertChannel {
  return {
    name: "slack",
    send: async (notice, signal) => {
      await post(url, {}, JSON.stringify({ text: alertText(notice) }), signal);
    },
  };
}

/** E-mail to each address, through the server's SMTP mailer. */
export function emailAlertChannel(mailer: Mailer, to: readonly string[]): AlertChannel {
  return {
    name: "email",
    send: async (notice) => {
      const text = alertText(notice);
      for (const address of to) {
        await mailer.send({
          to: address,
          subject: `PACKAGE.broker alert: ${alertSummary(notice)}`,
          text,
          html: `<pre>${escapeHtml(text)}</pre>`,
        });
      }
    },
  };
}

/** The alert as plain text: what, when, on what evidence, and what was done. */
export function alertText(notice: AlertNotice): string {
  const lines = [
    alertSummary(notice),
    `Rule: ${notice.ruleName} (${notice.ruleId})`,
    `Between ${notice.firstTimestamp} and ${notice.lastTimestamp}; raised ${notice.firedAt}`,
    `Evidence: ${notice.evidence.map((ref) => `#${ref.seq}`).join(" ")}`,
  ];
  if (notice.response !== null) {
    const { action, subject, outcome, error } = notice.response;
    lines.push(`Response: ${action} ${subject ?? ""} -> ${outcome}${error === null ? "" : ` (${error})`}`);
  }
  lines.push(`Alert id: ${notice.id} (package-broker alerts show ${notice.id})`);
  return lines.join("\n");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
