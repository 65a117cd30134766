import type { AccessGrant } from "../access/access-grant.ts";

/** What middleware puts on the request context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set on Composer protocol routes: errors then carry a `warning` Composer prints. */
    composerRoute: boolean;
    grant: AccessGrant;
  };
}
