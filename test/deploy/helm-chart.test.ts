import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { requireComponent } from "../support/required-component.ts";
import { CHART_DIR, knownSettings, readRepoFile, readRepoYaml } from "./deploy-files.ts";

const CHART = "deploy/helm/package-broker";
const values = readRepoYaml<Record<string, unknown>>(`${CHART}/values.yaml`);
const templateFiles = fs
  .readdirSync(path.join(CHART_DIR, "templates"))
  .filter((name) => !name.startsWith("."));
const templates = templateFiles.map((name) => readRepoFile(`${CHART}/templates/${name}`)).join("\n");

/** The value at a dotted path of values.yaml, or undefined when a key on the way is missing. */
function valueAt(pathText: string): unknown {
  let current: unknown = values;
  for (const key of pathText.split(".")) {
    if (typeof current !== "object" || current === null || !(key in current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The helm binary: PB_TEST_HELM_BIN, or helm on the PATH; null when there is none. */
function findHelm(): string | null {
  const candidate = process.env.PB_TEST_HELM_BIN ?? "helm";
  const result = spawnSync(candidate, ["version", "--short"], { encoding: "utf8" });
  return result.status === 0 ? candidate : null;
}

const helm = findHelm();
const rendering = requireComponent(
  "helm",
  helm !== null,
  "set PB_TEST_HELM_BIN (.ci/run installs it); the chart is checked statically only",
);

function helmRun(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(helm ?? "helm", args, { encoding: "utf8" });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

function render(args: readonly string[]): Manifest[] {
  const result = helmRun(["template", "pb", CHART_DIR, ...args]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

const SCALED_OUT = [
  "--set",
  "replicaCount=3",
  "--set",
  "blobs.url=s3://dists/pb",
  "--set",
  "secrets.databaseUrl=postgres://package_broker_app:a@pg:5432/package_broker",
  "--set",
  "secrets.migrationDatabaseUrl=postgres://package_broker_owner:b@pg:5432/package_broker",
  "--set",
  "secrets.redisUrl=redis://:c@redis:6379",
  "--set-string",
  "secrets.secretKey=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
  "--set-string",
  "secrets.auditSigningKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  "--set",
  "migrations.grants.enabled=true",
];

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: Record<string, unknown>;
  startupProbe?: { httpGet: { path: string } };
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes: { name: string; emptyDir?: unknown; configMap?: unknown }[];
  securityContext: Record<string, unknown>;
}

function podSpec(manifests: Manifest[]): PodSpec {
  const deployment = manifests.find((manifest) => manifest.kind === "Deployment");
  if (deployment === undefined) throw new Error("no Deployment");
  return (deployment.spec.template as { spec: PodSpec }).spec;
}

describe("deploy/helm/package-broker", () => {
  it("is a v2 chart whose appVersion is the package's version", () => {
    const chart = readRepoYaml<{ apiVersion: string; name: string; version: string; appVersion: string }>(
      `${CHART}/Chart.yaml`,
    );
    const pkg = JSON.parse(readRepoFile("package.json")) as { version: string };
    expect(chart.apiVersion).toBe("v2");
    expect(chart.name).toBe("package-broker");
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chart.appVersion).toBe(pkg.version);
  });

  it("has the templates a production install needs", () => {
    for (const name of [
      "_helpers.tpl",
      "NOTES.txt",
      "deployment.yaml",
      "service.yaml",
      "ingress.yaml",
      "secret.yaml",
      "pdb.yaml",
      "hpa.yaml",
      "serviceaccount.yaml",
    ]) {
      expect(templateFiles).toContain(name);
    }
  });

  it("defines every value the templates read", () => {
    const references = new Set(
      [...templates.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((match) => match[1]!),
    );
    expect(references.size).toBeGreaterThan(30);
    for (const reference of references) {
      expect(valueAt(reference), `.Values.${reference}`).not.toBeUndefined();
    }
  });

  it("defaults to a non-root, read-only container with /health and /ready probes", () => {
    expect(valueAt("securityContext.readOnlyRootFilesystem")).toBe(true);
    expect(valueAt("securityContext.runAsNonRoot")).toBe(true);
    expect(valueAt("securityContext.allowPrivilegeEscalation")).toBe(false);
    expect(valueAt("podSecurityContext.runAsUser")).toBe(10001);
    expect(valueAt("probes.liveness.path")).toBe("/health");
    expect(valueAt("probes.startup.path")).toBe("/health");
    expect(valueAt("probes.readiness.path")).toBe("/ready");
    expect(templates).toContain("mountPath: /tmp");
  });

  it("only sets PB_* variables the server reads", () => {
    const settings = knownSettings();
    const named = [...templates.matchAll(/\b(PB_[A-Z0-9_]+)\b/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(5);
    for (const variable of named) expect(settings, variable).toContain(variable);
  });

  it("ships the same grants as deploy/postgres/app-grants.sql", () => {
    expect(readRepoFile(`${CHART}/files/app-grants.sql`)).toBe(
      readRepoFile("deploy/postgres/app-grants.sql"),
    );
  });

  describe.runIf(rendering)("rendered by helm", () => {
    it("lints cleanly, alone and scaled out", () => {
      for (const args of [[], SCALED_OUT]) {
        const result = helmRun(["lint", "--strict", CHART_DIR, ...args]);
        expect(result.status, result.stdout + result.stderr).toBe(0);
      }
    });

    it("renders one replica on SQLite with the migrate init container and no PDB or HPA", () => {
      const manifests = render([]);
      expect(manifests.map((manifest) => manifest.kind).sort()).toEqual(
        ["Deployment", "Secret", "Service", "ServiceAccount"].sort(),
      );
      const spec = podSpec(manifests);
      expect(spec.initContainers?.map((container) => container.name)).toEqual(["migrate"]);
      const server = spec.containers[0]!;
      expect(server.args).toEqual(["serve"]);
      expect(server.startupProbe?.httpGet.path).toBe("/health");
      expect(server.livenessProbe?.httpGet.path).toBe("/health");
      expect(server.readinessProbe?.httpGet.path).toBe("/ready");
      expect(server.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(server.env?.find((entry) => entry.name === "PACKAGE_BROKER_SKIP_MIGRATE")?.value).toBe("1");
      expect(server.volumeMounts?.map((mount) => mount.mountPath).sort()).toEqual(["/data", "/tmp"]);
      expect(spec.volumes.find((volume) => volume.name === "tmp")?.emptyDir).toBeDefined();
    });

    it("scales out with a PDB, the grants step, and the owner's URL for the migration only", () => {
      const manifests = render([
        ...SCALED_OUT,
        "--set",
        "autoscaling.enabled=true",
        "--set",
        "ingress.enabled=true",
      ]);
      const kinds = manifests.map((manifest) => manifest.kind);
      for (const kind of ["PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress", "ConfigMap"]) {
        expect(kinds).toContain(kind);
      }
      const spec = podSpec(manifests);
      expect(spec.initContainers?.map((container) => container.name)).toEqual(["migrate", "grants"]);
      const names = (container: Container | undefined): string[] =>
        (container?.env ?? []).map((entry) => entry.name);
      expect(names(spec.initContainers?.[0])).toContain("MIGRATION_DATABASE_URL");
      expect(names(spec.containers[0])).not.toContain("MIGRATION_DATABASE_URL");
      const secret = manifests.find((manifest) => manifest.kind === "Secret") as unknown as {
        stringData: Record<string, string>;
      };
      expect(Object.keys(secret.stringData).sort()).toEqual(
        [
          "MIGRATION_DATABASE_URL",
          "PB_AUDIT_SIGNING_KEY",
          "PB_DATABASE_URL",
          "PB_REDIS_URL",
          "PB_SECRET_KEY",
        ].sort(),
      );
    });

    it("refuses several replicas without PostgreSQL, S3 or shared keys", () => {
      const refused = (args: readonly string[]): string => {
        const result = helmRun(["template", "pb", CHART_DIR, ...args]);
        expect(result.status).not.toBe(0);
        return result.stderr;
      };
      expect(refused(["--set", "replicaCount=2"])).toMatch(/need PostgreSQL/);
      expect(refused(["--set", "replicaCount=2", "--set", "secrets.databaseUrl=postgres://x/y"])).toMatch(
        /need shared dists/,
      );
      expect(
        refused([
          "--set",
          "autoscaling.enabled=true",
          "--set",
          "secrets.databaseUrl=postgres://x/y",
          "--set",
          "blobs.url=s3://b",
        ]),
      ).toMatch(/need the same keys/);
      expect(refused(["--set", "baseUrl="])).toMatch(/set baseUrl/);
    });
  });
});
