import { useEffect, useRef, useState, type ReactNode } from "react";
import { useSession } from "../api/session-context.ts";
import { roleAllows, type Permission } from "../access/role-permissions.ts";
import { AppLink } from "../router/app-link.tsx";

interface NavItem {
  readonly to: string;
  readonly label: string;
  /** What the person's role must allow for the screen to be offered; null: everyone. */
  readonly permission: Permission | null;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { to: "/ui/", label: "Overview", permission: null },
  { to: "/ui/packages", label: "Packages", permission: "packages:read" },
  { to: "/ui/repositories", label: "Repositories", permission: "repositories:read" },
  { to: "/ui/tokens", label: "Tokens", permission: null },
  { to: "/ui/users", label: "Users", permission: "users:manage" },
  { to: "/ui/audit-log", label: "Audit log", permission: "audit:read" },
  { to: "/ui/alerts", label: "Alerts", permission: "audit:read" },
  { to: "/ui/sinks", label: "Sinks", permission: "audit:read" },
  { to: "/ui/settings", label: "Settings", permission: "settings:manage" },
  { to: "/ui/profile", label: "Profile", permission: null },
];

/**
 * The signed-in frame of every screen: a skip link, the navigation bar (only the screens the
 * role may use), who is signed in, and signing out. Focus moves to the new screen's heading on
 * every navigation, so screen readers announce it.
 */
export function AppShell({
  pathname,
  children,
}: {
  readonly pathname: string;
  readonly children: ReactNode;
}): ReactNode {
  const { session, signOut } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [pathname]);

  const { user } = session;
  const items = NAV_ITEMS.filter(
    (item) => item.permission === null || roleAllows(user.role, item.permission),
  );
  const current = pathname === "/ui" ? "/ui/" : pathname;

  async function leave(): Promise<void> {
    setSigningOut(true);
    try {
      await signOut();
    } catch (error) {
      setSignOutError(error instanceof Error ? error.message : "signing out failed");
      setSigningOut(false);
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">PACKAGE.broker</span>
        <nav aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <AppLink to={item.to} current={item.to === current}>
                  {item.label}
                </AppLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="who">
            {user.name ?? user.email} <span className="role">{user.role}</span>
          </span>
          <button type="button" onClick={() => void leave()} disabled={signingOut}>
            {signingOut ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      {signOutError === null ? null : (
        <p className="banner banner-error" role="alert">
          Could not sign out: {signOutError}
        </p>
      )}
      {session.twoFactorEnrolmentRequired ? (
        <p className="banner" role="status">
          Two-factor authentication is required here: turn it on in your{" "}
          <AppLink to="/ui/profile">profile</AppLink> to use the other screens.
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
