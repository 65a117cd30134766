import type { ReactNode } from "react";
import type { PackageDetails, PackageLinks } from "../api/package-types.ts";

const KINDS = [
  ["require", "Requires (require)"],
  ["requireDev", "For development (require-dev)"],
  ["conflict", "Conflicts with (conflict)"],
  ["replace", "Replaces (replace)"],
  ["provide", "Provides (provide)"],
  ["suggest", "Suggests (suggest)"],
] as const;

/** What the described version links to: require, require-dev, conflict, replace, provide, suggest. */
export function PackageDependencies({ item }: { readonly item: PackageDetails }): ReactNode {
  return (
    <section className="panel" aria-labelledby="dependencies-heading">
      <h2 id="dependencies-heading">Dependencies</h2>
      <p className="hint">As version {item.latest.version} declares them.</p>
      <div className="dependency-grid">
        {KINDS.map(([key, title]) => (
          <LinkList key={key} id={`links-${key}`} title={title} links={item.latest[key]} />
        ))}
      </div>
    </section>
  );
}

function LinkList(props: {
  readonly id: string;
  readonly title: string;
  readonly links: PackageLinks;
}): ReactNode {
  const entries = Object.entries(props.links);
  return (
    <section aria-labelledby={`${props.id}-heading`} data-testid={props.id}>
      <h3 id={`${props.id}-heading`}>{props.title}</h3>
      {entries.length === 0 ? (
        <p className="hint">None.</p>
      ) : (
        <ul className="plain-list link-list">
          {entries.map(([name, value]) => (
            <li key={name}>
              <code>{name}</code> <span className="link-value">{value}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
