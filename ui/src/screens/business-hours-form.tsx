import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { BusinessHours, Weekday } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmBox } from "../components/confirm-box.tsx";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { hasErrors, type FieldErrors } from "../forms/field-errors.ts";
import { pathErrorsOf } from "../forms/path-errors.ts";

const WEEKDAYS: readonly { readonly day: Weekday; readonly label: string }[] = [
  { day: "mon", label: "Monday" },
  { day: "tue", label: "Tuesday" },
  { day: "wed", label: "Wednesday" },
  { day: "thu", label: "Thursday" },
  { day: "fri", label: "Friday" },
  { day: "sat", label: "Saturday" },
  { day: "sun", label: "Sunday" },
];
const CLOCK_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;

type Field = "timeZone" | "days" | "start" | "end";

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Checks the hours as the settings do (docs/settings.md), before asking to save them. */
function validate(hours: BusinessHours): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  if (hours.timeZone.trim() === "" || !isTimeZone(hours.timeZone.trim()))
    errors.timeZone = "An IANA time zone such as Europe/Berlin.";
  if (!CLOCK_TIME.test(hours.start)) errors.start = "A time HH:MM, 00:00 to 23:59.";
  if (!CLOCK_TIME.test(hours.end)) errors.end = "A time HH:MM, 00:00 to 24:00.";
  return errors;
}

/** `alerts.businessHours`: when configuration changes are expected (the alert rules check it). */
export function BusinessHoursForm({
  current,
  onSaved,
}: {
  readonly current: BusinessHours;
  readonly onSaved: () => void;
}): ReactNode {
  const { api } = useSession();
  const [hours, setHours] = useState<BusinessHours>(current);
  const [errors, setErrors] = useState<FieldErrors<string>>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const dayNames = hours.days.length === 0 ? "no day" : hours.days.join(", ");

  function review(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    const invalid = validate(hours);
    setErrors(invalid);
    setSaved("");
    setConfirming(!hasErrors(invalid));
  }

  async function save(): Promise<void> {
    setBusy(true);
    try {
      const days = WEEKDAYS.map((item) => item.day).filter((day) => hours.days.includes(day));
      await api.send("PATCH", "/api/settings", {
        alerts: {
          businessHours: { timeZone: hours.timeZone.trim(), days, start: hours.start, end: hours.end },
        },
      });
      setErrors({});
      setSaved("Business hours saved.");
      onSaved();
    } catch (error) {
      setErrors(pathErrorsOf(asProblem(error), "alerts.businessHours."));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  function toggle(day: Weekday, on: boolean): void {
    setHours((value) => ({
      ...value,
      days: on ? [...value.days, day] : value.days.filter((item) => item !== day),
    }));
    setConfirming(false);
  }

  return (
    <form noValidate onSubmit={review} aria-labelledby="hours-heading">
      <h2 id="hours-heading">Business hours</h2>
      <p className="hint">Configuration changes outside them raise an alert.</p>
      <FormError message={errors.form} />
      <TextField
        id="hours-time-zone"
        label="Time zone"
        required
        value={hours.timeZone}
        onChange={(timeZone) => {
          setHours((value) => ({ ...value, timeZone }));
          setConfirming(false);
        }}
        error={errors.timeZone}
      />
      <fieldset aria-describedby={errors.days === undefined ? undefined : "hours-days-error"}>
        <legend>Working days</legend>
        <div className="day-list">
          {WEEKDAYS.map((item) => (
            <div className="check" key={item.day}>
              <input
                type="checkbox"
                id={`hours-day-${item.day}`}
                checked={hours.days.includes(item.day)}
                onChange={(event) => {
                  toggle(item.day, event.target.checked);
                }}
              />
              <label htmlFor={`hours-day-${item.day}`}>{item.label}</label>
            </div>
          ))}
        </div>
        {errors.days === undefined ? null : (
          <p className="field-error" id="hours-days-error">
            {errors.days}
          </p>
        )}
      </fieldset>
      <div className="field-pair">
        <TextField
          id="hours-start"
          label="Start"
          required
          hint="HH:MM, inclusive."
          inputMode="numeric"
          value={hours.start}
          onChange={(start) => {
            setHours((value) => ({ ...value, start }));
            setConfirming(false);
          }}
          error={errors.start}
        />
        <TextField
          id="hours-end"
          label="End"
          required
          hint="HH:MM, exclusive; 24:00 allowed."
          inputMode="numeric"
          value={hours.end}
          onChange={(end) => {
            setHours((value) => ({ ...value, end }));
            setConfirming(false);
          }}
          error={errors.end}
        />
      </div>
      {confirming ? (
        <ConfirmBox
          label="Confirm the business hours"
          question={`Save business hours: ${dayNames}, ${hours.start} to ${hours.end} (${hours.timeZone.trim()})?`}
          confirmLabel="Yes, save business hours"
          busy={busy}
          onConfirm={() => void save()}
          onCancel={() => {
            setConfirming(false);
          }}
        />
      ) : (
        <div className="actions">
          <button type="submit" className="primary">
            Save business hours
          </button>
        </div>
      )}
      <p role="status" className="hint">
        {saved}
      </p>
    </form>
  );
}
