import type { ReactNode } from "react";

/** A problem of the whole form (not of one field), announced when it appears. */
export function FormError({ message }: { readonly message: string | undefined }): ReactNode {
  return (
    <div className="form-error" role="alert">
      {message === undefined ? null : <p>{message}</p>}
    </div>
  );
}
