/**
 * Differential tests against Composer's own PHP code (Debian's php-composer-metadata-minifier and
 * composer packages). Each test starts ONE php process for a whole batch of generated inputs.
 *
 * About `{}` and `[]`: PHP decodes JSON with `json_decode($json, true)`, which turns `{}` and `[]`
 * into the same empty array, and `json_encode` writes an empty array back as `[]`. The generators
 * therefore never produce an empty nested object (nor integer-like keys, which PHP would also turn
 * into lists), so every nested `[]` is a real list on both sides. A whole version entry can be empty
 * (an empty diff); the PHP side writes those as `{}` (stdClass) before encoding.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { phpLibraryAvailable, runPhpJson } from "../../test/support/run-php.ts";
import { requireComponent } from "../../test/support/required-component.ts";
import { buildVersionEntry, parseComposerJson } from "./composer-json.ts";
import type { JsonObject, JsonValue, VersionEntry } from "./json-value.ts";
import { expandVersions, minifyVersions, type MinifiedEntry } from "./metadata-minifier.ts";
import { buildP2Document } from "./p2-document.ts";
import { isValidPackageName } from "./package-name.ts";

const MINIFIER_AUTOLOAD = "/usr/share/php/Composer/MetadataMinifier/autoload.php";
const COMPOSER_AUTOLOAD = "/usr/share/php/Composer/autoload.php";

const minifierAvailable = requireComponent(
  "php with composer/metadata-minifier",
  phpLibraryAvailable("Composer/MetadataMinifier/MetadataMinifier.php"),
  "apt-get install php-cli php-composer-metadata-minifier",
);
const composerAvailable = requireComponent(
  "php with Composer's libraries",
  phpLibraryAvailable("Composer/autoload.php"),
  "apt-get install php-cli composer",
);

/** Empty version entries are written as `{}`, not `[]`. */
const PHP_OBJECTS = `
$objects = function (array $versions): array {
    return array_map(function ($v) { return $v === [] ? new \\stdClass() : $v; }, $versions);
};
$encode = function ($value): string {
    return json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
};
$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
`;

/** For each version list x: minify(x), expand(x) and expand(minify(x)), all computed by Composer. */
const MINIFIER_SCRIPT = `
require '${MINIFIER_AUTOLOAD}';
use Composer\\MetadataMinifier\\MetadataMinifier;
${PHP_OBJECTS}
$out = [];
foreach ($input as $versions) {
    $minified = MetadataMinifier::minify($versions);
    $out[] = [
        'minify' => $objects($minified),
        'expand' => $objects(MetadataMinifier::expand($versions)),
        'expandMinify' => $objects(MetadataMinifier::expand($minified)),
    ];
}
echo $encode($out);
`;

interface PhpMinifierResult {
  minify: MinifiedEntry[];
  expand: VersionEntry[];
  expandMinify: VersionEntry[];
}

const runMinifier = (lists: readonly (readonly JsonObject[])[]): PhpMinifierResult[] =>
  runPhpJson<PhpMinifierResult[]>(MINIFIER_SCRIPT, lists);

// ---------------------------------------------------------------------------------------------
// Generators

const SEED = 20_260_601;
const RUNS = 400;

const TOP_KEYS = [
  "name",
  "version",
  "version_normalized",
  "description",
  "require",
  "extra",
  "license",
  "autoload",
  "source",
  "dist",
  "default-branch",
  "a",
] as const;

/** Never integer-like (PHP would make a list of it), never empty objects. */
const nestedKey = fc.oneof(
  fc.constantFrom("php", "acme/lib", "psr-4", "Acme\\Lib\\", "x", "y", "__unset", "branch-alias", "dev-main"),
  fc.stringMatching(/^[a-z][a-z0-9_./\\-]{0,6}$/),
);

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc
    .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
    .filter((d) => !Number.isInteger(d) && !Object.is(d, -0)),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.constantFrom("", "__unset", "x", "1.0.0", "^1.0 || ^2.0", "https://example.com/a/b", "é✓😀"),
);

const jsonTree = fc.letrec<{ value: JsonValue; list: JsonValue[]; object: JsonObject }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("list"), tie("object")),
  list: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(nestedKey, tie("value"), { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
}));

/** The same object with its keys in reverse order: equal for JavaScript, not identical for PHP. */
function reversedKeys(value: JsonValue): JsonValue | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length < 2) return null;
  return Object.fromEntries(keys.reverse().map((key) => [key, value[key] as JsonValue]));
}

/**
 * Version lists whose entries share a few candidate values per key, so that consecutive versions
 * often agree (and the minifier has something to leave out), with keys added, removed, reordered.
 */
const versionLists = (withTopLevelQuirks: boolean): fc.Arbitrary<JsonObject[]> =>
  fc
    .record({
      candidates: fc.array(fc.array(jsonTree.value, { minLength: 1, maxLength: 3 }), {
        minLength: TOP_KEYS.length,
        maxLength: TOP_KEYS.length,
      }),
      entries: fc.array(
        fc.array(fc.tuple(fc.nat({ max: TOP_KEYS.length - 1 }), fc.nat({ max: 3 })), { maxLength: 9 }),
        { maxLength: 8 },
      ),
    })
    .map(({ candidates, entries }) => {
      const pools = candidates.map((values) => {
        const reversed = reversedKeys(values[0] as JsonValue);
        return reversed === null ? values : [...values, reversed];
      });
      const lists = entries.map((choices) => {
        const entry: JsonObject = {};
        for (const [keyIndex, valueIndex] of choices) {
          const pool = pools[keyIndex]!;
          const value = pool[valueIndex % pool.length] as JsonValue;
          if (!withTopLevelQuirks && (value === null || value === "__unset")) continue;
          entry[TOP_KEYS[keyIndex] as string] = value;
        }
        return entry;
      });
      // Exactly what PHP will decode: fresh objects, -0 written as 0, and so on.
      return JSON.parse(JSON.stringify(lists)) as JsonObject[];
    });

const sample = <T>(arbitrary: fc.Arbitrary<T>, seed: number): T[] =>
  fc.sample(arbitrary, { seed, numRuns: RUNS });

/** Fails on the first list where `actual` and `expected` serialize differently, showing its input. */
function expectSameBytes(
  actual: readonly unknown[],
  expected: readonly unknown[],
  inputs: readonly unknown[],
): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((item, index) => {
    expect(JSON.stringify(item), `list #${index}: ${JSON.stringify(inputs[index])}`).toBe(
      JSON.stringify(expected[index]),
    );
  });
}

describe.runIf(minifierAvailable)("MetadataMinifier, differential against Composer's PHP code", () => {
  it("minify: ours equals Composer's byte for byte, top-level null and __unset quirks included", () => {
    const lists = sample(versionLists(true), SEED);
    const php = runMinifier(lists);
    expectSameBytes(
      lists.map((list) => minifyVersions(list)),
      php.map((result) => result.minify),
      lists,
    );
  });

  it("expand: ours equals Composer's byte for byte on any input, __unset and nulls included", () => {
    const lists = sample(versionLists(true), SEED + 1);
    const php = runMinifier(lists);
    expectSameBytes(
      lists.map((list) => expandVersions(list)),
      php.map((result) => result.expand),
      lists,
    );
  });

  it("Composer expands our minified lists back to the input", () => {
    const lists = sample(versionLists(false), SEED + 2);
    const ours = lists.map((list) => minifyVersions(list));
    const php = runMinifier(ours);
    php.forEach((result, index) => {
      expect(result.expand, `list #${index}: ${JSON.stringify(lists[index])}`).toEqual(lists[index]);
    });
    expectSameBytes(
      php.map((result) => result.expand),
      ours.map((minified) => expandVersions(minified)),
      lists,
    );
  });

  it("we expand Composer's minified lists back to the input", () => {
    const lists = sample(versionLists(false), SEED + 3);
    const php = runMinifier(lists);
    php.forEach((result, index) => {
      expect(expandVersions(result.minify), `list #${index}: ${JSON.stringify(lists[index])}`).toEqual(
        lists[index],
      );
    });
    expectSameBytes(
      php.map((result) => expandVersions(result.minify)),
      php.map((result) => result.expandMinify),
      lists,
    );
  });

  it("a p2 document survives Composer's expand then minify unchanged", () => {
    const documents = [realisticP2Document()];
    for (const list of sample(versionLists(false), SEED + 4).slice(0, 100)) {
      documents.push({
        name: "acme/generated",
        versions: list.map((entry) => ({ ...entry, name: "acme/generated" })),
        document: "",
      });
    }
    for (const doc of documents) doc.document = buildP2Document(doc.name, doc.versions);

    const php = runPhpJson<
      { minified: unknown; sameAfterRoundTrip: boolean; document: string; expanded: VersionEntry[] }[]
    >(
      `
      require '${MINIFIER_AUTOLOAD}';
      use Composer\\MetadataMinifier\\MetadataMinifier;
      ${PHP_OBJECTS}
      $out = [];
      foreach ($input as $text) {
          $document = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
          $same = true;
          $expandedAll = [];
          foreach ($document['packages'] as $name => $versions) {
              $expanded = MetadataMinifier::expand($versions);
              $same = $same && MetadataMinifier::minify($expanded) === $versions;
              $document['packages'][$name] = $objects(MetadataMinifier::minify($expanded));
              $expandedAll = $objects($expanded);
          }
          $out[] = [
              'minified' => $document['minified'] ?? null,
              'sameAfterRoundTrip' => $same,
              'document' => $encode($document),
              'expanded' => $expandedAll,
          ];
      }
      echo $encode($out);
      `,
      documents.map((doc) => doc.document),
    );

    php.forEach((result, index) => {
      const doc = documents[index]!;
      expect(result.minified).toBe("composer/2.0");
      expect(result.sameAfterRoundTrip, doc.document).toBe(true);
      expect(JSON.stringify(JSON.parse(result.document))).toBe(doc.document);
      expect(result.expanded).toEqual(doc.versions);
    });
  });
});

describe.runIf(minifierAvailable && composerAvailable)("Composer's loader reads what we build", () => {
  it("ArrayLoader loads every version of a p2 document", () => {
    const { document } = realisticP2Document();
    const loaded = runPhpJson<Record<string, JsonValue>[]>(
      `
      require '${COMPOSER_AUTOLOAD}';
      require '${MINIFIER_AUTOLOAD}';
      use Composer\\MetadataMinifier\\MetadataMinifier;
      ${PHP_OBJECTS}
      $loader = new \\Composer\\Package\\Loader\\ArrayLoader();
      $out = [];
      foreach ($input['packages'] as $name => $versions) {
          foreach (MetadataMinifier::expand($versions) as $data) {
              $package = $loader->load($data);
              if ($package instanceof \\Composer\\Package\\AliasPackage) {
                  $package = $package->getAliasOf();
              }
              $out[] = [
                  'name' => $package->getName(),
                  'prettyVersion' => $package->getPrettyVersion(),
                  'version' => $package->getVersion(),
                  'defaultBranch' => $package->isDefaultBranch(),
                  'sourceReference' => $package->getSourceReference(),
                  'distUrl' => $package->getDistUrl(),
                  'requires' => array_keys($package->getRequires()),
                  'license' => $package->getLicense(),
                  'binaries' => $package->getBinaries(),
                  'aliases' => $package->getExtra()['branch-alias'] ?? null,
                  'releaseDate' => $package->getReleaseDate() ? $package->getReleaseDate()->format(DATE_RFC3339) : null,
              ];
          }
      }
      echo $encode($out);
      `,
      JSON.parse(document),
    );
    expect(loaded.map((p) => [p.name, p.prettyVersion, p.version, p.defaultBranch])).toEqual([
      ["acme/widget", "v2.0.0", "2.0.0.0", false],
      ["acme/widget", "v1.1.0", "1.1.0.0", false],
      ["acme/widget", "v1.0.0", "1.0.0.0", false],
      ["acme/widget", "dev-main", "dev-main", true],
    ]);
    expect(loaded[0]).toMatchObject({
      sourceReference: "c".repeat(40),
      distUrl: "https://repo.example.com/dists/acme/widget/2.0.0.0.zip",
      requires: ["php", "acme/base"],
      license: ["MIT"],
      binaries: ["bin/widget"],
      releaseDate: "2024-03-01T12:00:00+00:00",
    });
    expect(loaded[1]).toMatchObject({ requires: ["php"], binaries: [] });
    expect(loaded[3]).toMatchObject({ aliases: { "dev-main": "2.x-dev" } });
  });

  it("package names agree with ValidatingArrayLoader::hasPackageNamingError", () => {
    const segment = fc.string({
      unit: fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom("a", "b", "z", "0", "9") },
        { weight: 3, arbitrary: fc.constantFrom("-", "--", "_", ".") },
        { weight: 1, arbitrary: fc.constantFrom("A", "é", " ", "%", "\u0000", "\n", "/") },
      ),
      maxLength: 10,
    });
    const names = [
      ...fc.sample(
        fc.tuple(segment, fc.constantFrom("/", "/", "/", "//", ""), segment).map(([v, s, p]) => v + s + p),
        { seed: SEED, numRuns: 2000 },
      ),
      ...["con/x", "x/nul", "x/lpt9", "x/y.json", "x/y.jsonx", "../x", "x/..", "a/b", "a-b/c--d", "a/b---c"],
    ].filter((name) => name.includes("/"));
    const composer = runPhpJson<boolean[]>(
      `
      require '${COMPOSER_AUTOLOAD}';
      ${PHP_OBJECTS}
      echo $encode(array_map(function ($name) {
          return \\Composer\\Package\\Loader\\ValidatingArrayLoader::hasPackageNamingError($name) === null;
      }, $input));
      `,
      names,
    );
    names.forEach((name, index) => {
      expect(isValidPackageName(name), JSON.stringify(name)).toBe(composer[index]);
    });
    expect(composer.filter(Boolean).length).toBeGreaterThan(100);
  });
});

interface P2Case {
  name: string;
  versions: VersionEntry[];
  document: string;
}

/** Four versions of one package, built the way the server builds them (dist added after source). */
function realisticP2Document(): P2Case {
  const base = {
    name: "Acme/Widget",
    description: "Widgets for everyone",
    keywords: ["widget", "ui"],
    license: "MIT",
    authors: [{ name: "Acme", email: "dev@acme.example" }],
    type: "library",
    autoload: { "psr-4": { "Acme\\Widget\\": "src/" } },
    scripts: { test: "phpunit" },
  };
  const releases = [
    {
      json: { ...base, require: { php: ">=8.1", "acme/base": "^2.0" }, bin: "bin/widget" },
      version: "v2.0.0",
      normalized: "2.0.0.0",
      reference: "c".repeat(40),
      time: "2024-03-01T12:00:00+00:00",
    },
    {
      json: { ...base, require: { php: ">=7.4" }, extra: { foo: { bar: [1, 2] } } },
      version: "v1.1.0",
      normalized: "1.1.0.0",
      reference: "b".repeat(40),
      time: "2024-02-01T12:00:00+00:00",
    },
    {
      json: { ...base, require: { php: ">=7.4" }, description: "Widgets" },
      version: "v1.0.0",
      normalized: "1.0.0.0",
      reference: "a".repeat(40),
      time: "2024-01-01T12:00:00+00:00",
    },
    {
      json: {
        ...base,
        require: { php: ">=8.1", "acme/base": "^2.0" },
        extra: { "branch-alias": { "dev-main": "2.x-dev" } },
      },
      version: "dev-main",
      normalized: "dev-main",
      reference: "d".repeat(40),
      time: "2024-03-02T12:00:00+00:00",
      defaultBranch: true,
    },
  ];
  const versions = releases.map((release) => {
    const entry = buildVersionEntry(parseComposerJson(JSON.stringify(release.json)), {
      version: release.version,
      versionNormalized: release.normalized,
      time: release.time,
      source: { type: "git", url: "https://git.example.com/acme/widget.git", reference: release.reference },
      distReference: release.reference,
      ...(release.defaultBranch === true ? { defaultBranch: true } : {}),
    });
    const withDist: VersionEntry = {};
    for (const [key, value] of Object.entries(entry)) {
      withDist[key] = value;
      if (key === "source") {
        withDist.dist = {
          type: "zip",
          url: `https://repo.example.com/dists/acme/widget/${release.normalized}.zip`,
          reference: release.reference,
          shasum: "e".repeat(40),
        };
      }
    }
    return withDist;
  });
  return { name: "acme/widget", versions, document: buildP2Document("acme/widget", versions) };
}
