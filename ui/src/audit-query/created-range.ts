import { qualifierValue } from "./query-terms.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC days a search's `created:` term spans, "" for an open end (or a form the filters do not make). */
export function createdRange(query: string): { readonly from: string; readonly to: string } {
  const value = qualifierValue(query, "created:");
  if (value.includes("..")) {
    const [from = "", to = ""] = value.split("..");
    return { from: DAY.test(from) ? from : "", to: DAY.test(to) ? to : "" };
  }
  if (value.startsWith(">=") && DAY.test(value.slice(2))) return { from: value.slice(2), to: "" };
  if (value.startsWith("<=") && DAY.test(value.slice(2))) return { from: "", to: value.slice(2) };
  return DAY.test(value) ? { from: value, to: value } : { from: "", to: "" };
}

/** The value of a `created:` term from one day to another, both included (`*` for an open end); "" for none. */
export function createdTerm(from: string, to: string): string {
  if (from === "" && to === "") return "";
  return `${from === "" ? "*" : from}..${to === "" ? "*" : to}`;
}
