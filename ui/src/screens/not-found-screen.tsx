import type { ReactNode } from "react";
import { AppLink } from "../router/app-link.tsx";

export function NotFoundScreen(): ReactNode {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no such page in the dashboard. <AppLink to="/ui/">Back to the overview</AppLink>
      </p>
    </>
  );
}
