import { useState, type ReactNode } from "react";
import type { AuditSink } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmAction } from "../components/confirm-action.tsx";

interface TestResult {
  readonly delivered: boolean;
  readonly error: string | null;
  readonly durationMs: number;
}

/** An admin's actions on one sink: send a test event, pause or resume, remove. */
export function SinkActions({
  sink,
  onChanged,
}: {
  readonly sink: AuditSink;
  readonly onChanged: () => void;
}): ReactNode {
  const { api } = useSession();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<{ readonly ok: boolean; readonly message: string } | null>(null);
  const path = `/api/audit/sinks/${encodeURIComponent(sink.id)}`;

  async function test(): Promise<void> {
    setTesting(true);
    setResult(null);
    try {
      const answer = await api.send<TestResult>("POST", `${path}/test`);
      setResult(
        answer.delivered
          ? { ok: true, message: `Test event delivered in ${answer.durationMs} ms.` }
          : { ok: false, message: `Test event not delivered: ${answer.error ?? "no reason given"}` },
      );
    } catch (error) {
      const problem = asProblem(error);
      setResult({ ok: false, message: `${problem.detail} (${problem.code})` });
    } finally {
      setTesting(false);
    }
  }

  return (
    <div className="sink-actions">
      <div className="actions">
        <button type="button" disabled={testing} onClick={() => void test()}>
          {testing ? "Sending…" : "Send test"}
          <span className="visually-hidden"> to {sink.name}</span>
        </button>
        {sink.paused ? (
          <ConfirmAction
            id={`resume-${sink.id}`}
            label="Resume"
            accessibleLabel={`Resume ${sink.name}`}
            question={`Resume ${sink.name}? It delivers everything it missed.`}
            confirmLabel={`Yes, resume ${sink.name}`}
            onConfirm={async () => {
              await api.send("PATCH", path, { paused: false });
              onChanged();
            }}
          />
        ) : (
          <ConfirmAction
            id={`pause-${sink.id}`}
            label="Pause"
            accessibleLabel={`Pause ${sink.name}`}
            question={`Pause ${sink.name}? It keeps its place and catches up on resume.`}
            confirmLabel={`Yes, pause ${sink.name}`}
            onConfirm={async () => {
              await api.send("PATCH", path, { paused: true });
              onChanged();
            }}
          />
        )}
        <ConfirmAction
          id={`remove-${sink.id}`}
          label="Remove"
          accessibleLabel={`Remove ${sink.name}`}
          question={`Remove ${sink.name}? Its cursor and parked records go with it.`}
          confirmLabel={`Yes, remove ${sink.name}`}
          danger
          onConfirm={async () => {
            await api.send("DELETE", path);
            onChanged();
          }}
        />
      </div>
      <div role="status">
        {result === null ? null : (
          <p className={result.ok ? "hint" : "sync-error"} data-testid="sink-test-result">
            {result.message}
          </p>
        )}
      </div>
    </div>
  );
}
