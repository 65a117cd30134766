import { invalidInput } from "../../errors/domain-error.ts";

export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * When changes are expected: an IANA time zone, the working days, and `HH:MM` start (inclusive)
 * and end (exclusive, `24:00` allowed). A start after the end spans midnight (`22:00`–`06:00`);
 * the day is then the local calendar day of the moment itself.
 */
export interface BusinessHours {
  readonly timeZone: string;
  readonly days: readonly Weekday[];
  readonly start: string;
  readonly end: string;
}

export const defaultBusinessHours: BusinessHours = {
  timeZone: "UTC",
  days: ["mon", "tue", "wed", "thu", "fri"],
  start: "08:00",
  end: "18:00",
};

const CLOCK = /^([01][0-9]|2[0-4]):([0-5][0-9])$/;

/**
 * A test of whether an instant (ms since the epoch) is within the business hours. Throws
 * `InvalidBusinessHours` for an unknown time zone, an unknown day, or a malformed time.
 */
export function businessHoursTest(hours: BusinessHours): (instantMs: number) => boolean {
  const start = minuteOfDay(hours.start, "start");
  const end = minuteOfDay(hours.end, "end");
  if (start === end) throw invalid(`start and end are both ${hours.start}: no business hours at all`);
  const unknownDay = hours.days.find((day) => !(weekdays as readonly string[]).includes(day));
  if (unknownDay !== undefined)
    throw invalid(`unknown day ${JSON.stringify(unknownDay)}; days are ${weekdays.join(", ")}`);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: hours.timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
  } catch {
    throw invalid(`unknown time zone ${JSON.stringify(hours.timeZone)} (an IANA name such as Europe/Berlin)`);
  }
  const days = new Set<string>(hours.days);
  return (instantMs) => {
    const parts = format.formatToParts(new Date(instantMs));
    const part = (type: Intl.DateTimeFormatPartTypes): string =>
      parts.find((p) => p.type === type)?.value ?? "";
    if (!days.has(part("weekday").toLowerCase())) return false;
    const minute = Number(part("hour")) * 60 + Number(part("minute"));
    return start < end ? minute >= start && minute < end : minute >= start || minute < end;
  };
}

function minuteOfDay(clock: string, which: string): number {
  const match = CLOCK.exec(clock);
  const minutes = match === null ? Number.NaN : Number(match[1]) * 60 + Number(match[2]);
  if (!(minutes <= 24 * 60))
    throw invalid(`${which} ${JSON.stringify(clock)} is not a time HH:MM (00:00 to 24:00)`);
  return minutes;
}

function invalid(message: string): Error {
  return invalidInput("InvalidBusinessHours", `business hours: ${message}`);
}
