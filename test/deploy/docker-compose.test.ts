import { describe, expect, it } from "vitest";
import { ENTRYPOINT_VARIABLES, knownSettings, readRepoFile, readRepoYaml } from "./deploy-files.ts";

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const compose = readRepoYaml<ComposeFile>("deploy/docker-compose.yml");
const services = compose.services;

function service(name: string): ComposeService {
  const found = services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

const ONE_SHOT = ["minio-init", "migrate", "db-grants"];

describe("deploy/docker-compose.yml", () => {
  it("runs the broker beside PostgreSQL 15, Redis and MinIO, with the one-shot set-up services", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["broker", "db-grants", "migrate", "minio", "minio-init", "postgres", "redis"].sort(),
    );
    expect(service("postgres").image).toMatch(/^postgres:15[.-]/);
  });

  it("names the PostgreSQL container and database as the docs' audit export command expects", () => {
    const postgres = service("postgres");
    expect(postgres.container_name).toBe("package-broker-db");
    expect(postgres.environment?.POSTGRES_DB).toBe("package_broker");
    expect(postgres.environment?.POSTGRES_USER).toBe("postgres");
    expect(readRepoFile("docs/operations/docker.md")).toContain(
      'docker exec package-broker-db psql -U postgres -d package_broker -c "COPY audit_logs',
    );
  });

  it("pins every image to a version", () => {
    for (const [name, entry] of Object.entries(services)) {
      if (entry.build !== undefined) continue;
      expect(entry.image, name).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      expect(entry.image, name).not.toMatch(/:latest$/);
    }
  });

  it("gives every long-running service a healthcheck, and starts each after what it needs", () => {
    for (const [name, entry] of Object.entries(services)) {
      if (ONE_SHOT.includes(name)) {
        expect(entry.restart, name).toBe("no");
        continue;
      }
      expect(entry.healthcheck?.test[0], name).toBe("CMD");
    }
    const conditions = (name: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries(service(name).depends_on ?? {}).map(([dependency, { condition }]) => [
          dependency,
          condition,
        ]),
      );
    expect(conditions("broker")).toEqual({
      postgres: "service_healthy",
      redis: "service_healthy",
      "minio-init": "service_completed_successfully",
      "db-grants": "service_completed_successfully",
    });
    expect(conditions("migrate")).toMatchObject({
      postgres: "service_healthy",
      "minio-init": "service_completed_successfully",
    });
    expect(conditions("db-grants")).toEqual({ migrate: "service_completed_successfully" });
    expect(conditions("minio-init")).toEqual({ minio: "service_healthy" });
    for (const entry of Object.values(services)) {
      for (const dependency of Object.keys(entry.depends_on ?? {})) {
        expect(Object.keys(services)).toContain(dependency);
      }
    }
  });

  it("configures the broker only with settings the server reads", () => {
    const settings = knownSettings();
    for (const name of ["broker", "migrate"]) {
      const environment = service(name).environment ?? {};
      for (const variable of Object.keys(environment)) {
        if (variable.startsWith("PB_")) expect(settings, `${name}: ${variable}`).toContain(variable);
        else expect(ENTRYPOINT_VARIABLES, `${name}: ${variable}`).toContain(variable);
      }
      for (const required of [
        "PB_DATABASE_URL",
        "PB_BLOB_URL",
        "PB_S3_ENDPOINT",
        "PB_S3_FORCE_PATH_STYLE",
        "PB_S3_ACCESS_KEY_ID",
        "PB_S3_SECRET_ACCESS_KEY",
        "PB_REDIS_URL",
        "PB_SECRET_KEY",
        "PB_BASE_URL",
      ]) {
        expect(environment, `${name}: ${required}`).toHaveProperty(required);
      }
      expect(environment.PB_DATABASE_URL).toMatch(
        /^postgres:\/\/[a-z_]+:\$\{[A-Z_]+\}@postgres:5432\/package_broker$/,
      );
      expect(environment.PB_BLOB_URL).toMatch(/^s3:\/\//);
      expect(environment.PB_REDIS_URL).toMatch(/^redis:\/\/.*@redis:6379$/);
    }
    expect(service("migrate").environment?.PB_DATABASE_URL).toContain("package_broker_owner");
    expect(service("broker").environment?.PB_DATABASE_URL).toContain("package_broker_app");
    expect(service("broker").environment?.PACKAGE_BROKER_SKIP_MIGRATE).toBe("1");
    expect(service("migrate").command).toEqual(["migrate"]);
  });

  it("runs the broker with a read-only root and its data on a named volume", () => {
    for (const name of ["broker", "migrate"]) {
      const entry = service(name);
      expect(entry.read_only, name).toBe(true);
      expect(entry.tmpfs, name).toEqual(["/tmp"]);
      expect(entry.volumes, name).toContain("broker-data:/data");
      expect(entry.build).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
    }
    for (const volume of ["postgres-data", "minio-data", "broker-data"]) {
      expect(compose.volumes).toHaveProperty(volume);
    }
  });

  it("takes every secret from deploy/.env, whose example defines each variable without a real secret", () => {
    const text = readRepoFile("deploy/docker-compose.yml");
    const example = readRepoFile("deploy/.env.example");
    const defined = new Set(
      example
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.slice(0, line.indexOf("="))),
    );
    const referenced = new Set(
      [...text.matchAll(/\$\{([A-Z_]+)(:?[-?][^}]*)?\}/g)].map((match) => match[1]!),
    );
    const withoutDefault = [...text.matchAll(/\$\{([A-Z_]+)(?::\?[^}]*)?\}/g)].map((match) => match[1]!);
    for (const variable of withoutDefault) expect(defined, variable).toContain(variable);
    for (const variable of defined) {
      expect(referenced, variable).toContain(variable);
    }
    for (const line of example.split("\n").filter((entry) => /(PASSWORD|SECRET)[A-Z_]*=/.test(entry))) {
      expect(line).toMatch(/=change-me/);
    }
  });

  it("mounts the files the set-up services run", () => {
    expect(service("db-grants").entrypoint).toContain("/package-broker-sql/app-grants.sql");
    expect(readRepoFile("deploy/postgres/initdb/10-package-broker-roles.sh")).toContain(
      "/package-broker-sql/roles.sql",
    );
    expect(service("minio-init").entrypoint).toEqual(["/bin/sh", "/minio-init/create-bucket.sh"]);
    expect(readRepoFile("deploy/minio/create-bucket.sh")).toContain("/minio-init/broker-policy.json");
  });
});
