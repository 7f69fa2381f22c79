import { TrailscopeError } from '@trailscope/model';
import { assertS3ServerInstalled } from './s3-service';
import { ENDPOINT_KEYS } from './stack';
import { SERVICE_NAMES } from './stack-layout';
import { STACK_SERVICES, stackServiceNamed } from './stack-services';
import type { StackState } from './stack-state';

const fullState: StackState = {
  version: 1,
  opensearch: { nodes: 1, httpPort: 9201, transportPorts: [9301], heap: '1g' },
  redis: { managed: false, url: 'redis://127.0.0.1:6379' },
  s3: { port: 4569 },
};

describe('the stack services', () => {
  it('are one entry per service name, in the order status reports them', () => {
    expect(STACK_SERVICES.map((s) => s.name)).toEqual([...SERVICE_NAMES]);
  });

  it('each give their own endpoint variables, which together are exactly the stack.env keys', () => {
    const keys = STACK_SERVICES.flatMap((s) => Object.keys(s.endpoints(fullState) ?? {}));
    expect(keys.sort()).toEqual([...ENDPOINT_KEYS].sort());
    expect(STACK_SERVICES.find((s) => s.name === 'opensearch')?.endpoints(fullState)).toEqual({ OPENSEARCH_URL: 'http://127.0.0.1:9201' });
  });

  it('give no endpoints before their first start', () => {
    for (const service of STACK_SERVICES) expect(service.endpoints({ version: 1 })).toBeUndefined();
  });

  it('refuse to stop only a Redis the stack did not start', () => {
    const redis = stackServiceNamed('redis');
    const layout = { dir: '/stack' } as Parameters<NonNullable<typeof redis.notOursToStop>>[0];
    expect(redis.notOursToStop?.(layout, fullState)).toMatch(/redis at redis:\/\/127\.0\.0\.1:6379 was not started by the stack in \/stack/);
    expect(redis.notOursToStop?.(layout, { version: 1, redis: { managed: true, url: 'redis://127.0.0.1:7000', port: 7000 } })).toBeUndefined();
  });

  it('an unknown service name is a usage error naming the known ones', () => {
    expect(() => stackServiceNamed('mongo' as never)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('opensearch, redis, s3') }));
  });
});

describe('assertS3ServerInstalled', () => {
  it('passes where the development dependencies are installed', () => {
    expect(() => assertS3ServerInstalled()).not.toThrow();
  });

  it('names the missing package and the way out when s3rver is absent (a production install)', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 's3rver'"), { code: 'MODULE_NOT_FOUND' });
    };
    let caught: unknown;
    try {
      assertS3ServerInstalled(missing);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TrailscopeError);
    expect(caught).toMatchObject({ code: 'STACK_START_FAILED', context: { service: 's3', package: 's3rver' } });
    expect((caught as Error).message).toMatch(/s3rver.*development dependency.*npm ci.*S3_ENDPOINT/);
  });
});
