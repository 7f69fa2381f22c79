import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errorCodeOf } from '@trailscope/model';
import { loadConfig } from './config';

const NO_STACK = '/nonexistent/trailscope-stack';

function failureOf(fn: () => unknown): { code: string; message: string; context: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return { code: errorCodeOf(err), message: (err as Error).message, context: (err as { context: Record<string, unknown> }).context };
  }
  throw new Error('expected a failure');
}

describe('loadConfig', () => {
  it('applies defaults and derives names from the namespace', () => {
    const c = loadConfig({ env: {}, stackDir: NO_STACK });
    expect(c.opensearch).toEqual({ url: 'http://127.0.0.1:9200', username: undefined, password: undefined, tlsInsecure: false });
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.s3).toEqual(expect.objectContaining({ endpoint: undefined, forcePathStyle: false, region: 'us-east-1' }));
    expect(c.namespace).toBe('trailscope');
    expect(c.names.eventsAlias).toBe('trailscope-events');
    expect(c.index).toEqual({ period: 'day', retentionDays: 0, shards: 1, replicas: 0 });
    expect(c.stackDir).toBe(NO_STACK);
  });

  it('takes flags over the environment over stack.env, and only endpoints and credentials from stack.env', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-config-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'stack.env'),
        ['# written by stack up', 'OPENSEARCH_URL=http://stack:9200', 'REDIS_URL=redis://stack:6379', 'S3_ENDPOINT=http://stack:4568', 'TRAILSCOPE_NAMESPACE=fromstack', ''].join('\n'),
      );
      const c = loadConfig({ env: { REDIS_URL: 'redis://env:6379', TRAILSCOPE_RETENTION_DAYS: '9', AWS_REGION: '' }, overrides: { TRAILSCOPE_RETENTION_DAYS: 3 }, stackDir: dir });
      expect(c.opensearch.url).toBe('http://stack:9200');
      expect(c.redis.url).toBe('redis://env:6379');
      expect(c.index.retentionDays).toBe(3);
      // a namespace is never taken from a stack file: it would silently point commands at another deployment's data
      expect(c.namespace).toBe('trailscope');
      // an endpoint means a local S3 server: path-style unless said otherwise; an empty variable counts as unset
      expect(c.s3).toEqual(expect.objectContaining({ endpoint: 'http://stack:4568', forcePathStyle: true, region: 'us-east-1' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports every invalid variable at once, each by name', () => {
    const f = failureOf(() =>
      loadConfig({
        env: { TRAILSCOPE_RETENTION_DAYS: '-1', REDIS_URL: 'http://x', TRAILSCOPE_INDEX_PERIOD: 'week', TRAILSCOPE_NAMESPACE: 'Bad!' },
        stackDir: NO_STACK,
      }),
    );
    expect(f.code).toBe('CONFIG_INVALID');
    for (const name of ['TRAILSCOPE_RETENTION_DAYS', 'REDIS_URL', 'TRAILSCOPE_INDEX_PERIOD', 'TRAILSCOPE_NAMESPACE']) expect(f.message).toContain(name);
    expect(f.message).toMatch(/invalid TRAILSCOPE_RETENTION_DAYS: TRAILSCOPE_RETENTION_DAYS must be at least 0/);
    expect(f.message).toMatch(/invalid REDIS_URL: REDIS_URL must start with redis:\/\//);
    expect([...(f.context.variables as string[])].sort()).toEqual(['REDIS_URL', 'TRAILSCOPE_INDEX_PERIOD', 'TRAILSCOPE_NAMESPACE', 'TRAILSCOPE_RETENTION_DAYS']);
    expect(f.context.variable).toBe((f.context.variables as string[])[0]);
  });

  it('names the one invalid variable as before when there is one', () => {
    const f = failureOf(() => loadConfig({ env: { TRAILSCOPE_BULK_FLUSH_BYTES: 'lots' }, stackDir: NO_STACK }));
    expect(f.message).toBe('invalid TRAILSCOPE_BULK_FLUSH_BYTES: TRAILSCOPE_BULK_FLUSH_BYTES must be a number');
    expect(f.context.variable).toBe('TRAILSCOPE_BULK_FLUSH_BYTES');
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {}, stackDir: NO_STACK });
    expect(Object.isFrozen(c)).toBe(true);
    for (const part of [c.opensearch, c.s3, c.names, c.index, c.ingest, c.api]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (c.ingest as { workerConcurrency: number }).workerConcurrency = 99;
    }).toThrow(TypeError);
    expect(c.ingest.workerConcurrency).toBe(8);
    // every load is its own object
    expect(loadConfig({ env: { TRAILSCOPE_WORKER_CONCURRENCY: '2' }, stackDir: NO_STACK }).ingest.workerConcurrency).toBe(2);
  });

  it('takes TRAILSCOPE_ALERTS_FILE as an absolute path to a readable file, else names the variable and the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-config-alerts-'));
    try {
      fs.writeFileSync(path.join(dir, 'alerts.yml'), 'destinations: []\n');
      expect(loadConfig({ env: {}, stackDir: NO_STACK }).alerts).toEqual({ file: undefined });
      expect(loadConfig({ env: { TRAILSCOPE_ALERTS_FILE: path.join(dir, 'alerts.yml') }, stackDir: NO_STACK }).alerts.file).toBe(path.join(dir, 'alerts.yml'));
      const missing = failureOf(() => loadConfig({ env: { TRAILSCOPE_ALERTS_FILE: path.join(dir, 'nope.yml') }, stackDir: NO_STACK }));
      expect(missing).toEqual({
        code: 'CONFIG_INVALID',
        message: `invalid TRAILSCOPE_ALERTS_FILE: ${path.join(dir, 'nope.yml')}: cannot be read (ENOENT)`,
        context: expect.objectContaining({ variable: 'TRAILSCOPE_ALERTS_FILE' }),
      });
      const folder = failureOf(() => loadConfig({ env: { TRAILSCOPE_ALERTS_FILE: dir, TRAILSCOPE_BULK_FLUSH_BYTES: 'lots' }, stackDir: NO_STACK }));
      expect(folder.message).toBe(`invalid TRAILSCOPE_BULK_FLUSH_BYTES: TRAILSCOPE_BULK_FLUSH_BYTES must be a number; invalid TRAILSCOPE_ALERTS_FILE: ${dir}: is not a file`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
