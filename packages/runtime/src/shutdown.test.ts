import { createShutdown } from './shutdown';
import { sleep } from './sleep';

describe('createShutdown', () => {
  it('runs every hook once, newest first, past a failing one', async () => {
    const shutdown = createShutdown();
    const ran: string[] = [];
    shutdown.add(() => void ran.push('first'));
    shutdown.add(() => {
      ran.push('failing');
      throw new Error('close failed');
    });
    shutdown.add(async () => {
      await Promise.resolve();
      ran.push('last');
    });
    await Promise.all([shutdown.run(), shutdown.run()]);
    await shutdown.run();
    expect(ran).toEqual(['last', 'failing', 'first']);
  });
});

describe('sleep', () => {
  it('ends when the signal aborts, long before its time', async () => {
    const abort = new AbortController();
    const slept = sleep(24 * 3600 * 1000, abort.signal);
    abort.abort();
    await expect(slept).resolves.toBeUndefined();
  });

  it('returns at once for an already aborted signal and resolves on its own without one', async () => {
    await expect(sleep(24 * 3600 * 1000, AbortSignal.abort())).resolves.toBeUndefined();
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});
