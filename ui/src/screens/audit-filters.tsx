import type { ReactNode } from "react";
import { createdRange, createdTerm } from "../audit-query/created-range.ts";
import { QUALIFIER_VALUES, qualifierValue, setQualifier } from "../audit-query/query-terms.ts";

/**
 * Filters by category, action, severity, outcome and day, each one qualifier of the search it
 * edits: the search bar shows the query they make, and a qualifier typed there shows here.
 */
export function AuditFilters(props: {
  readonly query: string;
  readonly onChange: (query: string) => void;
}): ReactNode {
  const { query, onChange } = props;
  const created = createdRange(query);
  const applyAction = (typed: string): void => {
    const value = typed.trim();
    if (value !== qualifierValue(query, "action:")) onChange(setQualifier(query, "action:", value));
  };
  const select = (name: string, label: string) => {
    const id = `audit-filter-${name.slice(0, -1)}`;
    const value = qualifierValue(query, name);
    const options = QUALIFIER_VALUES[name] ?? [];
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <select
          id={id}
          value={options.includes(value) ? value : ""}
          onChange={(event) => {
            onChange(setQualifier(query, name, event.target.value));
          }}
        >
          <option value="">Any</option>
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </div>
    );
  };
  return (
    <fieldset className="audit-filters">
      <legend>Filters</legend>
      {select("event:", "Category")}
      <div className="field">
        <label htmlFor="audit-filter-action">Action</label>
        <input
          id="audit-filter-action"
          type="text"
          placeholder="download, token.*"
          defaultValue={qualifierValue(query, "action:")}
          key={`action-${qualifierValue(query, "action:")}`}
          onBlur={(event) => {
            applyAction(event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter") applyAction(event.currentTarget.value);
          }}
        />
      </div>
      {select("severity:", "Severity")}
      {select("outcome:", "Outcome")}
      <div className="field">
        <label htmlFor="audit-filter-from">From (UTC day)</label>
        <input
          id="audit-filter-from"
          type="date"
          value={created.from}
          onChange={(event) => {
            onChange(setQualifier(query, "created:", createdTerm(event.target.value, created.to)));
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="audit-filter-to">To (UTC day)</label>
        <input
          id="audit-filter-to"
          type="date"
          value={created.to}
          onChange={(event) => {
            onChange(setQualifier(query, "created:", createdTerm(created.from, event.target.value)));
          }}
        />
      </div>
    </fieldset>
  );
}
