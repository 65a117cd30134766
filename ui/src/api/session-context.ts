import { createContext, useContext } from "react";
import type { ApiClient } from "./api-client.ts";
import type { Session } from "./api-types.ts";

export interface SessionState {
  readonly api: ApiClient;
  /** The signed-in person's session. */
  readonly session: Session;
  /** Replaces the session (after a change of one's own account). */
  readonly refreshSession: () => void;
  readonly signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

/** The session of a screen inside the signed-in shell. */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === null) throw new Error("useSession outside the signed-in shell");
  return state;
}
