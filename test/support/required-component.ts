/**
 * Under CI=true a suite whose real component is missing must fail, not skip. Elsewhere it may skip
 * with a clear message. Returns true when the suite should run.
 */
export function requireComponent(name: string, available: boolean, hint: string): boolean {
  if (available) return true;
  if (process.env.CI === "true") {
    throw new Error(`${name} is required under CI=true but is not available: ${hint}`);
  }
  console.warn(`[skip] ${name} is not available (${hint}); its tests are skipped outside CI.`);
  return false;
}
