import { useEffect, useRef, type RefObject } from "react";

/** How far below the window an element counts as visible: the next page loads before the end shows. */
const AHEAD = "0px 0px 300px 0px";

/**
 * Calls `onVisible` when the element of the returned ref scrolls into (or near) the window, while
 * `enabled`; a change of `key` (the next page's cursor) looks again, so a list shorter than the
 * window goes on loading until it fills it. Infinite scroll for keyset-paged lists, whose
 * "Load more" button stays for the keyboard and screen readers.
 */
export function useWhenVisible<T extends Element>(
  onVisible: () => void,
  key: unknown,
  enabled: boolean,
): RefObject<T | null> {
  const element = useRef<T | null>(null);
  const latest = useRef(onVisible);
  useEffect(() => {
    latest.current = onVisible;
  }, [onVisible]);
  useEffect(() => {
    const target = element.current;
    if (!enabled || target === null || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) latest.current();
      },
      { rootMargin: AHEAD },
    );
    observer.observe(target);
    return () => {
      observer.disconnect();
    };
  }, [key, enabled]);
  return element;
}
