import type { Clock } from "../../clock/clock.ts";
import type { Config } from "../../config/load-config.ts";
import type { Mailer } from "../../mail/mailer.ts";
import {
  emailAlertChannel,
  slackAlertChannel,
  webhookAlertChannel,
  type AlertChannel,
} from "./alert-channel.ts";

/** The channels PB_ALERT_* configure: a webhook, a Slack-compatible webhook, e-mail. */
export function alertChannels(config: Config, mailer: Mailer | null, clock: Clock): AlertChannel[] {
  const { webhookUrl, webhookSecret, slackWebhookUrl, emailTo } = config.alerts;
  const channels: AlertChannel[] = [];
  if (webhookUrl !== null) channels.push(webhookAlertChannel(webhookUrl, webhookSecret, clock));
  if (slackWebhookUrl !== null) channels.push(slackAlertChannel(slackWebhookUrl));
  if (mailer !== null && emailTo.length > 0) channels.push(emailAlertChannel(mailer, emailTo));
  return channels;
}
