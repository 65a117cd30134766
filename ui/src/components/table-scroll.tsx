import type { ReactNode } from "react";

/**
 * A table that scrolls sideways on a narrow screen rather than widening the page. The scrolling
 * box is a named region that takes the focus, so it can be scrolled with the keyboard even when
 * the table has nothing else to focus.
 */
export function TableScroll({
  label,
  children,
}: {
  readonly label: string;
  readonly children: ReactNode;
}): ReactNode {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
