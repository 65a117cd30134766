export function runCli(_argv: string[]): Promise<number> {
  return Promise.resolve(0);
}
