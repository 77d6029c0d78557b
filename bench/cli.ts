/** What the standalone bench scripts (bench:feed, bench:subscriptions, bench:engine) share. */

/** A positive integer from the environment, or the fallback when the variable is unset or empty. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** A log function that stamps each line with the script's name and the UTC time of day. */
export function scriptLog(script: string): (message: string) => void {
  return (message) =>
    console.log(`[${script} ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Runs the script's main and exits with its code (0 when it returns nothing), or 1 on an error. */
export function runScript(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
