import { Random } from "../audit-data/random.ts";
import type { StaticVersion } from "../../test/support/static-composer-repository.ts";

export const VENDORS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "stark",
  "wayne",
  "tyrell",
] as const;

/** Newest first, as the static repository writes them. */
const VERSIONS = ["2.1.0", "2.0.0", "1.2.0", "1.1.0", "1.0.0"] as const;

export interface UpstreamPackage {
  readonly name: string;
  readonly versions: readonly StaticVersion[];
}

export interface UpstreamPackages {
  readonly packages: readonly UpstreamPackage[];
  /** The consumer project's `require`: every package ends up installed through it. */
  readonly rootRequire: Readonly<Record<string, string>>;
  /** How many `require` edges between packages (per version). */
  readonly edges: number;
}

/**
 * A seeded, solvable dependency graph of `count` packages over a few vendors, each with versions
 * 1.0.0, 1.1.0, 1.2.0, 2.0.0 and 2.1.0. Package i requires 0–3 packages of lower index (a DAG, the
 * same set in every version): 1.x requires them `^1.0`, 2.0.0 `^1.2 || ^2.0`, 2.1.0 `^2.0`. The
 * project requires every package nobody else requires (`^1.0 || ^2.0`) and pins about 15 % of the
 * others to `^1.0`, so the solver must give up 2.1.0 of their dependents and settle on 2.0.0 or
 * 1.x: real work, and always a solution (everything at 1.2.0 satisfies every constraint). Every
 * package is installed: each one is required by the project or by a package of higher index.
 * Names are `<vendor>/lib-<letters>`, so the static repository's autoload namespaces differ.
 */
export function upstreamPackages(count: number, seed = 6): UpstreamPackages {
  const random = new Random(seed);
  const names = Array.from(
    { length: count },
    (_, i) => `${VENDORS[i % VENDORS.length] ?? "acme"}/lib-${letters(i)}`,
  );
  const required = new Set<number>();
  let edges = 0;
  const packages = names.map((name, i) => {
    const wanted = i === 0 ? 0 : Math.min(i, random.int(4));
    const dependencies = new Set<number>();
    while (dependencies.size < wanted) dependencies.add(random.int(i));
    for (const d of dependencies) required.add(d);
    edges += dependencies.size;
    const requires = (constraint: string): Record<string, string> => ({
      php: ">=7.4",
      ...Object.fromEntries(
        [...dependencies].sort((a, b) => a - b).map((d): [string, string] => [names[d] ?? "", constraint]),
      ),
    });
    const versions: StaticVersion[] = VERSIONS.map((version) => ({
      version,
      versionNormalized: `${version}.0`,
      require: requires(version === "2.1.0" ? "^2.0" : version === "2.0.0" ? "^1.2 || ^2.0" : "^1.0"),
    }));
    return { name, versions };
  });
  const rootRequire: Record<string, string> = {};
  names.forEach((name, i) => {
    if (!required.has(i)) rootRequire[name] = "^1.0 || ^2.0";
    else if (random.chance(0.15)) rootRequire[name] = "^1.0";
  });
  return { packages, rootRequire, edges };
}

/** 0 -> "aaa", 1 -> "aab", ... (letters only: the static repository derives class names from them). */
function letters(i: number): string {
  let text = "";
  let n = i;
  for (let k = 0; k < 3; k++) {
    text = String.fromCharCode(97 + (n % 26)) + text;
    n = Math.floor(n / 26);
  }
  return text;
}
