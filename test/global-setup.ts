import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { postgresAvailable, startPostgresCluster, type PostgresCluster } from "./support/postgres-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let cluster: PostgresCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The CLI and end-to-end tests run the compiled command, as users do.
  // NODE_ENV=test (Vitest's) would make Vite build the dashboard with React's development build.
  execFileSync("npm", ["run", "--silent", "build"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (postgresAvailable()) {
    cluster = await startPostgresCluster();
    project.provide("postgresUrl", cluster.url);
  } else {
    if (process.env.CI === "true")
      throw new Error("PostgreSQL 15 server binaries are required under CI=true");
    project.provide("postgresUrl", null);
  }
}

export function teardown(): void {
  cluster?.stop();
}
