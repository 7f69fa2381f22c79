import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@trailscope/runtime';
import { withFileLock } from './file-lock';

const logger = createLogger({ name: 'file-lock-test', level: 'silent' });
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-file-lock-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('runs concurrent holders one at a time and returns what each returns', async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const hold = (i: number) =>
      withFileLock({ dir, name: 'test', logger, waitMs: 60000, retryIntervalMs: 20 }, async () => {
        inside += 1;
        most = Math.max(most, inside);
        // Yield a few times so that an overlapping holder, if the lock let one in, would be seen inside.
        for (let k = 0; k < 5; k += 1) await new Promise((resolve) => setImmediate(resolve));
        order.push(i);
        inside -= 1;
        return i * 10;
      });
    const results = await Promise.all([1, 2, 3, 4].map(hold));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(most).toBe(1);
    expect(order.sort()).toEqual([1, 2, 3, 4]);
  });

  it('releases the lock when the holder throws, and passes the error on', async () => {
    await expect(withFileLock({ dir, name: 'test', logger, waitMs: 1000 }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fs.existsSync(path.join(dir, 'test.lock'))).toBe(false);
    await expect(withFileLock({ dir, name: 'test', logger, waitMs: 1000 }, async () => 'again')).resolves.toBe('again');
  });

  it('creates the directory it locks in', async () => {
    const nested = path.join(dir, 'a', 'b');
    await withFileLock({ dir: nested, name: 'stack', logger, waitMs: 1000 }, async () => {
      expect(fs.existsSync(path.join(nested, 'stack.lock'))).toBe(true);
    });
  });
});
