import { useEffect, useState } from "react";
import type { ApiClient } from "../api/api-client.ts";
import type { AuditEnvelope, AuditInclusionProof } from "../api/audit-types.ts";
import { asProblem } from "../api/use-api-data.ts";
import { canonicalJson } from "./canonical-json.ts";
import { verifyEventProof, type EventProofResult } from "./verify-event-proof.ts";

export type EventProofState =
  | { readonly status: "checking" }
  | { readonly status: "unavailable"; readonly detail: string }
  | { readonly status: "checked"; readonly result: EventProofResult; readonly proof: AuditInclusionProof };

/** The checkpoint's tree size, read from the note's second line only to ask for a proof of that size. */
function claimedSize(note: string): string {
  return note.split("\n")[1] ?? "";
}

/**
 * Fetches the verifier key, the event's proof (which has the server sign a checkpoint covering
 * the event when none does yet), then the latest signed checkpoint and, when that is of another
 * size, the proof for that size; and checks it all in the browser (verifyEventProof). The event
 * shown must also be the very event the proof covers.
 */
export function useEventProof(api: ApiClient, event: AuditEnvelope): EventProofState {
  const [state, setState] = useState<{ readonly id: string; readonly value: EventProofState } | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const path = `/api/audit/events/${encodeURIComponent(event.id)}/proof`;
    async function check(): Promise<EventProofState> {
      const verifierKey = await api.getText("/audit/public-key", signal);
      const first = await api.get<AuditInclusionProof>(path, signal);
      const checkpointNote = await api.getText("/audit/checkpoint", signal);
      const size = claimedSize(checkpointNote);
      const proof =
        size === String(first.treeSize)
          ? first
          : await api.get<AuditInclusionProof>(`${path}?size=${encodeURIComponent(size)}`, signal);
      const result = await verifyEventProof({ verifierKey, checkpointNote, proof });
      if (result.ok && canonicalJson(proof.event) !== canonicalJson(event)) {
        return {
          status: "checked",
          proof,
          result: {
            ok: false,
            reason: "leaf-mismatch",
            detail: "the event shown is not the event the proof covers",
          },
        };
      }
      return { status: "checked", result, proof };
    }
    check().then(
      (value) => {
        setState({ id: event.id, value });
      },
      (error: unknown) => {
        if (signal.aborted) return;
        setState({ id: event.id, value: { status: "unavailable", detail: asProblem(error).detail } });
      },
    );
    return () => {
      controller.abort();
    };
  }, [api, event]);
  return state?.id === event.id ? state.value : { status: "checking" };
}
