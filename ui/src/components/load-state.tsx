import type { ReactNode } from "react";
import type { Loaded } from "../api/use-api-data.ts";

/**
 * What a part of a screen shows for data it loads: a loading note, the error with a way to try
 * again, an empty note, or the data.
 */
export function LoadState<T>(props: {
  readonly loaded: Loaded<T> & { reload: () => void };
  /** What is loaded, for the notes ("tokens"). */
  readonly what: string;
  readonly isEmpty?: (data: T) => boolean;
  readonly empty?: ReactNode;
  readonly children: (data: T) => ReactNode;
}): ReactNode {
  const { loaded } = props;
  if (loaded.status === "loading") {
    return (
      <p className="state state-loading" role="status">
        Loading {props.what}…
      </p>
    );
  }
  if (loaded.status === "error") {
    return (
      <div className="state state-error" role="alert">
        <p>
          Could not load {props.what}: {loaded.problem.detail}
          {loaded.problem.code === "HttpError" || loaded.problem.code === "Unreachable"
            ? null
            : ` (${loaded.problem.code})`}
        </p>
        <button type="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (props.isEmpty?.(loaded.data) === true) {
    return <div className="state state-empty">{props.empty ?? <p>No {props.what} yet.</p>}</div>;
  }
  return props.children(loaded.data);
}
