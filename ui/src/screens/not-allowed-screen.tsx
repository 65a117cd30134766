import type { ReactNode } from "react";
import { AppLink } from "../router/app-link.tsx";

/** A screen the person's role may not use, opened by its address: nothing of it is shown. */
export function NotAllowedScreen(): ReactNode {
  return (
    <>
      <h1 tabIndex={-1}>Not available to your role</h1>
      <p>
        Your role does not allow this screen; an admin can change your role.{" "}
        <AppLink to="/ui/">Back to the overview</AppLink>
      </p>
    </>
  );
}
