import type { Clock } from "../../clock/clock.ts";
import { notFound } from "../../errors/domain-error.ts";
import type { AuditSubject, AuditSubjectRecords } from "../../storage/database/audit-subject-records.ts";
import type { AuditTrail } from "../audit-trail.ts";

/**
 * Who the stable actor ids of the audit log are. Events only ever hold the id (a user id, a token
 * fingerprint); the e-mail address and name live here, beside the log, so that a person's
 * erasure (GDPR art. 17) removes them without touching a leaf: the events keep their pseudonymous
 * id and `audit verify` still passes.
 */
export class AuditSubjects {
  readonly #records: AuditSubjectRecords;
  readonly #clock: Clock;

  constructor(records: AuditSubjectRecords, clock: Clock) {
    this.#records = records;
    this.#clock = clock;
  }

  /** Records who `id` is (users register themselves here when they are created or change). */
  async register(id: string, person: { email: string | null; name: string | null }): Promise<void> {
    await this.#records.put(id, person, this.#clock.now());
  }

  async find(idOrEmailOrName: string): Promise<AuditSubject[]> {
    return this.#records.find(idOrEmailOrName);
  }

  /**
   * Erases the e-mail and name of every subject `who` designates (an id, an e-mail address or a
   * name), and records it. The event names the pseudonymous ids only: never what was erased.
   */
  async eraseAndRecord(trail: AuditTrail, who: string): Promise<{ erased: string[] }> {
    const subjects = await this.#records.find(who);
    if (subjects.length === 0) {
      await trail.record({
        event: "audit",
        action: "subject_erased",
        outcome: "failure",
        target: { type: "subject" },
        details: { code: "SubjectNotFound" },
      });
      throw notFound("SubjectNotFound", "no audit subject has that id, e-mail address or name");
    }
    const ids = subjects.map((subject) => subject.id);
    await this.#records.erase(ids, this.#clock.now());
    await trail.record({
      event: "audit",
      action: "subject_erased",
      outcome: "success",
      severity: "warning",
      target: { type: "subject", id: ids[0] ?? "" },
      details: { subjects: ids },
    });
    return { erased: ids };
  }
}
