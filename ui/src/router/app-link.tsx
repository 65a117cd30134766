import type { MouseEvent, ReactNode } from "react";
import { navigate } from "./navigate.ts";

/** A link inside the app: navigates without a page load, unless the user asks for a new tab. */
export function AppLink(props: {
  readonly to: string;
  readonly children: ReactNode;
  readonly current?: boolean;
  readonly className?: string;
}): ReactNode {
  function follow(event: MouseEvent<HTMLAnchorElement>): void {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.to);
  }
  return (
    <a
      href={props.to}
      onClick={follow}
      className={props.className}
      aria-current={props.current === true ? "page" : undefined}
    >
      {props.children}
    </a>
  );
}
