import fs from "node:fs";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { expect } from "vitest";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { rowToEvent } from "../../src/audit/audit-row.ts";
import type { AuditRecords, AuditRow } from "../../src/storage/database/audit-records.ts";

/** schemas/audit-event.v1.json, the published JSON Schema of the stored event envelope. */
export const auditEventSchema = JSON.parse(
  fs.readFileSync(new URL("../../schemas/audit-event.v1.json", import.meta.url), "utf8"),
) as { $id: string; $schema: string };

const ajv = new Ajv2020({ strict: true, allErrors: true });
// ajv-formats is CommonJS: under NodeNext its default import is the module object.
formats.default(ajv);
const validate = ajv.compile<AuditEvent>(auditEventSchema);

/** The schema's complaints about `event` (empty when it is valid). */
export function auditSchemaErrors(event: unknown): ErrorObject[] {
  return validate(event) ? [] : [...(validate.errors ?? [])];
}

/** Fails the test unless `event` is a valid stored event. */
export function expectValidAuditEvent(event: unknown): void {
  const errors = auditSchemaErrors(event);
  expect(errors, `${JSON.stringify(event)}\n${ajv.errorsText(errors)}`).toEqual([]);
}

/** Every stored event, in seq order, each checked against the schema. */
export async function storedAuditEvents(records: AuditRecords): Promise<AuditEvent[]> {
  const rows: AuditRow[] = [];
  for await (const row of records.scan()) rows.push(row);
  return validatedEvents(rows);
}

/** The events of these rows, each checked against the schema. */
export function validatedEvents(rows: readonly AuditRow[]): AuditEvent[] {
  return rows.map((row) => {
    const event = rowToEvent(row);
    expectValidAuditEvent(event);
    return event;
  });
}
