const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value other than undefined or the deadline passes (then returns undefined).
 * `probe` may throw to abort the wait at once, e.g. when the process it waits for has died.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, options: { timeoutMs: number; intervalMs?: number }): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 500;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + intervalMs > deadline) return undefined;
    await sleep(intervalMs);
  }
}
