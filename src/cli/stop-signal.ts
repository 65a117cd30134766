/**
 * Resolves with the first SIGINT or SIGTERM. With `ignoreRepeats`, the handlers stay installed,
 * so further signals are ignored rather than killing the process halfway through its drain: a
 * worker of `serve` gets SIGINT from the terminal and SIGTERM from the primary for one Ctrl-C.
 * Without it, a second signal ends the process at once (the way to force a stuck stop).
 */
export async function stopSignal(options: { readonly ignoreRepeats: boolean }): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      if (options.ignoreRepeats) {
        process.on(signal, () => {
          resolve(signal);
        });
      } else {
        process.once(signal, () => {
          resolve(signal);
        });
      }
    }
  });
}
