import { invalidInput } from "../../errors/domain-error.ts";

/** Datadog's intake of the `site` option (datadoghq.com by default); the other types need a URL. */
export function defaultReceiverUrl(type: string, options: Readonly<Record<string, unknown>>): string {
  if (type !== "datadog") {
    throw invalidInput("SinkUrlRequired", `a ${type} sink needs the receiver's URL (--url)`);
  }
  const site = typeof options.site === "string" ? options.site : "datadoghq.com";
  return `https://http-intake.logs.${site}`;
}

/** A new sink's name when none is given: its type and its receiver's host (`splunk-hec-siem.example.com`). */
export function defaultSinkName(type: string, url: string): string {
  let host = "";
  try {
    host = new URL(url).hostname;
  } catch {
    // the transport refuses such a URL; the name does not matter then
  }
  return `${type}-${host === "" ? "receiver" : host}`;
}
