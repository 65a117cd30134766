/**
 * A URL fit for logs and audit events: its password (a database URL may carry one) replaced by
 * `***`. An unparsable URL becomes `(unparsable)`, never itself.
 */
export function redactUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable)";
  }
}
