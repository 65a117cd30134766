/**
 * readUpstreamP2 against Composer's own expansion (Debian's php-composer-metadata-minifier): for
 * generated minified documents, the versions we read are the versions Composer would load. One php
 * process for the whole batch. Generated values avoid empty objects and integer-like keys, which
 * PHP's json_decode would turn into lists (see metadata-minifier.differential.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { phpLibraryAvailable, runPhpJson } from "../../test/support/run-php.ts";
import { requireComponent } from "../../test/support/required-component.ts";
import type { JsonValue, VersionEntry } from "./json-value.ts";
import { buildP2Document } from "./p2-document.ts";
import { readUpstreamP2 } from "./upstream-p2.ts";

const available = requireComponent(
  "php with composer/metadata-minifier",
  phpLibraryAvailable("Composer/MetadataMinifier/MetadataMinifier.php"),
  "apt-get install php-cli php-composer-metadata-minifier",
);

const EXPAND_SCRIPT = `
require '/usr/share/php/Composer/MetadataMinifier/autoload.php';
use Composer\\MetadataMinifier\\MetadataMinifier;
$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($input as $document) {
    $data = json_decode($document, true, 512, JSON_THROW_ON_ERROR);
    $out[] = MetadataMinifier::expand($data['packages']['acme/lib']);
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
`;

const text = fc.constantFrom("", "x", "^1.0", ">=8.1", "MIT", "src/", "__unset");
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  text,
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.array(text, { minLength: 1, maxLength: 2 }),
  fc.dictionary(fc.constantFrom("php", "acme/base", "psr-4", "dev-main"), text, { minKeys: 1, maxKeys: 2 }),
);
const keys = fc.constantFrom("description", "require", "autoload", "extra", "license", "type", "time", "bin");

const versionLists = fc.uniqueArray(
  fc.record({ minor: fc.nat({ max: 40 }), fields: fc.dictionary(keys, value, { maxKeys: 6 }) }),
  { selector: (v) => v.minor, minLength: 1, maxLength: 6 },
);

describe.runIf(available)("readUpstreamP2 against Composer's MetadataMinifier::expand", () => {
  it("reads every generated minified document as Composer expands it", () => {
    const lists = fc.sample(versionLists, { numRuns: 300, seed: 20_261_127 });
    const documents = lists.map((list) =>
      buildP2Document(
        "acme/lib",
        list.map(({ minor, fields }): VersionEntry => ({
          name: "acme/lib",
          version: `1.${minor}.0`,
          version_normalized: `1.${minor}.0.0`,
          ...fields,
        })),
      ),
    );
    const expanded = runPhpJson<VersionEntry[][]>(EXPAND_SCRIPT, documents);
    documents.forEach((document, index) => {
      expect(readUpstreamP2(document, "acme/lib").map((v) => v.entry)).toEqual(expanded[index]);
    });
  });
});
