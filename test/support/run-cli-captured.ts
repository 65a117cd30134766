import type { CliIo } from "../../src/cli/cli-context.ts";
import { runCli } from "../../src/cli/run-cli.ts";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `package-broker ARGS` in this process with `env`, capturing what it prints. */
export async function runCliCaptured(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { isTerminal?: boolean; stdin?: string } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    isTerminal: options.isTerminal ?? false,
    readStdin: () => Promise.resolve(options.stdin ?? ""),
  };
  const code = await runCli(["node", "package-broker", ...args], io);
  return { code, stdout, stderr };
}
