import { useSyncExternalStore } from "react";

export interface AppLocation {
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener("hashchange", onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener("hashchange", onChange);
  };
}

function snapshot(): string {
  return `${window.location.pathname}\n${window.location.search}\n${window.location.hash}`;
}

/** The browser's current path, query and fragment, updated on every navigation. */
export function useLocation(): AppLocation {
  const [pathname = "/", search = "", hash = ""] = useSyncExternalStore(subscribe, snapshot).split("\n");
  return { pathname, search, hash };
}
