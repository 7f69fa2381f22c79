import pLimit from 'p-limit';

/**
 * Runs `fn` over an iterable with at most `concurrency` calls in flight, pulling items only as slots free up so that
 * a long iterable is never buffered. Rejects with the first error after in-flight calls settle.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  for await (const item of items as AsyncIterable<T>) {
    if (failure) break;
    const p = limit(() => fn(item)).catch((err: unknown) => {
      failure ??= { err };
    });
    running.add(p);
    void p.finally(() => running.delete(p));
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.err;
}
