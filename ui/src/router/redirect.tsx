import { useEffect, type ReactNode } from "react";
import { navigate } from "./navigate.ts";

/** Replaces the current path by `to` once rendered. */
export function Redirect({ to }: { readonly to: string }): ReactNode {
  useEffect(() => {
    navigate(to, { replace: true });
  }, [to]);
  return null;
}
