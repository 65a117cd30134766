/** The dashboard's address of a package's page: `/ui/packages/{vendor}/{name}`. */
export function packagePath(name: string): string {
  const [vendor = "", project = ""] = name.split("/");
  return `/ui/packages/${encodeURIComponent(vendor)}/${encodeURIComponent(project)}`;
}

const PACKAGE_PAGE = /^\/ui\/packages\/([^/]+)\/([^/]+)\/?$/;

/** The package name a path shows (`acme/widgets`), or null when it is not a package's page. */
export function packageNameOf(pathname: string): string | null {
  const match = PACKAGE_PAGE.exec(pathname);
  if (match === null) return null;
  try {
    return `${decodeURIComponent(match[1] ?? "")}/${decodeURIComponent(match[2] ?? "")}`;
  } catch {
    return null;
  }
}
