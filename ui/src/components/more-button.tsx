import type { ReactNode } from "react";

/** "Load more" under a keyset-paged list, while the API says more exist. */
export function MoreButton(props: {
  readonly cursor: string | null;
  readonly onMore: (cursor: string) => void;
}): ReactNode {
  const { cursor } = props;
  if (cursor === null) return null;
  return (
    <p>
      <button
        type="button"
        onClick={() => {
          props.onMore(cursor);
        }}
      >
        Load more
      </button>
    </p>
  );
}
