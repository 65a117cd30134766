import { useEffect, useRef } from "react";

/** How often a screen asks again while it follows something that changes (a running sync). */
export const POLL_INTERVAL_MS = 1000;

/**
 * Calls `tick` every `intervalMs` while `active` (and not at all otherwise): a screen following a
 * running sync reloads it until it ended. The latest `tick` is called, without restarting the timer.
 */
export function usePolling(active: boolean, tick: () => void, intervalMs = POLL_INTERVAL_MS): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  }, [tick]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      latest.current();
    }, intervalMs);
    return () => {
      clearInterval(timer);
    };
  }, [active, intervalMs]);
}
