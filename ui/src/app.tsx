import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createApiClient } from "./api/api-client.ts";
import type { Session } from "./api/api-types.ts";
import { SessionContext, type SessionState } from "./api/session-context.ts";
import { roleAllows } from "./access/role-permissions.ts";
import { AppShell, NAV_ITEMS } from "./components/app-shell.tsx";
import { navigate } from "./router/navigate.ts";
import { Redirect } from "./router/redirect.tsx";
import { useLocation } from "./router/use-location.ts";
import { packageNameOf } from "./router/package-route.ts";
import { AccountLinkScreen } from "./screens/account-link-screen.tsx";
import { AlertsScreen } from "./screens/alerts-screen.tsx";
import { AuditLogScreen } from "./screens/audit-log-screen.tsx";
import { PackagesScreen } from "./screens/packages-screen.tsx";
import { PackageScreen } from "./screens/package-screen.tsx";
import { RepositoriesScreen } from "./screens/repositories-screen.tsx";
import { SettingsScreen } from "./screens/settings-screen.tsx";
import { SinksScreen } from "./screens/sinks-screen.tsx";
import { UsersScreen } from "./screens/users-screen.tsx";
import { NotAllowedScreen } from "./screens/not-allowed-screen.tsx";
import { NotFoundScreen } from "./screens/not-found-screen.tsx";
import { OverviewScreen } from "./screens/overview-screen.tsx";
import { ProfileScreen } from "./screens/profile-screen.tsx";
import { SignInScreen } from "./screens/sign-in-screen.tsx";
import { TokensScreen } from "./screens/tokens-screen.tsx";

const SIGN_IN = "/ui/sign-in";
const LINK_PAGES = new Set(["/setup", "/invite", "/reset-password"]);

const SCREENS: Readonly<Record<string, () => ReactNode>> = {
  "/ui": OverviewScreen,
  "/ui/": OverviewScreen,
  "/ui/packages": PackagesScreen,
  "/ui/repositories": RepositoriesScreen,
  "/ui/tokens": TokensScreen,
  "/ui/users": UsersScreen,
  "/ui/audit-log": AuditLogScreen,
  "/ui/alerts": AlertsScreen,
  "/ui/sinks": SinksScreen,
  "/ui/settings": SettingsScreen,
  "/ui/profile": ProfileScreen,
};

/** Where to go after signing in: the page asked for, if it is one of the app's. */
function nextPath(search: string): string {
  const next = new URLSearchParams(search).get("next");
  return next !== null && /^\/ui(\/[a-z0-9-]*)*$/.test(next) && next !== SIGN_IN ? next : "/ui/";
}

/** The dashboard: the session, and which screen the path shows. */
export function App(): ReactNode {
  const location = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const sessionRef = useRef<Session | null | undefined>(undefined);
  useEffect(() => {
    sessionRef.current = session;
  }, [session]);
  const api = useMemo(
    () =>
      createApiClient({
        csrfToken: () => sessionRef.current?.csrfToken ?? null,
        onSessionEnded: () => {
          setSession(null);
        },
      }),
    [],
  );
  const loadSession = useCallback(() => {
    api.get<Session>("/api/session").then(setSession, () => {
      setSession(null);
    });
  }, [api]);
  useEffect(loadSession, [loadSession]);

  const signOut = useCallback(async () => {
    await api.send("DELETE", "/api/session");
    setSession(null);
    navigate(SIGN_IN, { replace: true });
  }, [api]);

  const { pathname, search, hash } = location;
  if (pathname === "/") return <Redirect to="/ui/" />;
  if (LINK_PAGES.has(pathname)) return <AccountLinkScreen api={api} hash={hash} />;
  if (session === undefined) {
    return (
      <main id="main" className="auth-page">
        <p className="state state-loading" role="status">
          Loading…
        </p>
      </main>
    );
  }
  if (pathname === SIGN_IN) {
    if (session !== null) return <Redirect to={nextPath(search)} />;
    return (
      <SignInScreen
        api={api}
        onSignedIn={(signedIn) => {
          sessionRef.current = signedIn;
          setSession(signedIn);
        }}
      />
    );
  }
  if (session === null) {
    const next = /^\/ui(\/[a-z0-9-]*)*$/.test(pathname) ? `?next=${encodeURIComponent(pathname)}` : "";
    return <Redirect to={`${SIGN_IN}${next}`} />;
  }
  const isPackage = packageNameOf(pathname) !== null;
  const permission = isPackage
    ? "packages:read"
    : (NAV_ITEMS.find((item) => item.to === pathname)?.permission ?? null);
  const allowed = permission === null || roleAllows(session.user.role, permission);
  const Screen = allowed
    ? isPackage
      ? PackageScreen
      : (SCREENS[pathname] ?? NotFoundScreen)
    : NotAllowedScreen;
  const state: SessionState = { api, session, refreshSession: loadSession, signOut };
  return (
    <SessionContext value={state}>
      <AppShell pathname={pathname}>
        <Screen />
      </AppShell>
    </SessionContext>
  );
}
