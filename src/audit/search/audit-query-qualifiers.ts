/** The qualifiers of the text language (`name:value`); names are case-insensitive there. */
export const auditQueryQualifiers = [
  "event",
  "action",
  "actor",
  "user",
  "ip",
  "token",
  "package",
  "version",
  "repository",
  "severity",
  "outcome",
  "request",
  "created",
] as const;
export type Qualifier = (typeof auditQueryQualifiers)[number];

/** Keys of the JSON filter form: the qualifiers, `request_id` (the envelope's name), `text` and `q`. */
export const auditQueryJsonKeys = [...auditQueryQualifiers, "request_id", "text", "q"] as const;
export type JsonKey = (typeof auditQueryJsonKeys)[number];
