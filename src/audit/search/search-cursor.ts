import { invalidInput } from "../../errors/domain-error.ts";

export type SearchOrder = "desc" | "asc";

/**
 * The opaque `cursor` of a search page: the order and the seq of the page's last event. A page
 * is "the next events after that seq", so events appended meanwhile never shift pages, and a
 * cursor stays valid for as long as the event exists. Base64url so it survives any URL.
 */
export function encodeSearchCursor(order: SearchOrder, seq: number): string {
  return Buffer.from(`v1:${order}:${seq}`, "utf8").toString("base64url");
}

const CURSOR = /^v1:(desc|asc):([1-9]\d{0,15})$/;

/** The seq a cursor continues after; a cursor of the other order or of nothing is a 400. */
export function decodeSearchCursor(cursor: string, order: SearchOrder): number {
  const text = cursor.length <= 64 ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = CURSOR.exec(text);
  if (match === null) {
    throw invalidInput("InvalidCursor", "cursor is not a cursor this server returned", {
      parameter: "cursor",
    });
  }
  if (match[1] !== order) {
    throw invalidInput(
      "InvalidCursor",
      `cursor belongs to a search in ${match[1] ?? ""} order, not ${order}`,
      {
        parameter: "cursor",
      },
    );
  }
  return Number(match[2]);
}
