import { createLogger } from '@trailscope/runtime';
import { TrailscopeError } from '@trailscope/model';
import { ServiceGate } from './service-gate';

const logger = createLogger({ level: 'silent' });

describe('ServiceGate', () => {
  it('lets jobs through until its service is reported down, then holds them until a probe succeeds', async () => {
    let probes = 0;
    const gate = new ServiceGate('s3', 'S3_UNAVAILABLE', async () => {
      probes += 1;
      if (probes < 3) throw new Error('still down');
    }, logger, 1);
    await gate.pass();
    expect(probes).toBe(0);

    gate.observe(new TrailscopeError('NOT_GZIP', 'broken file: not an outage'));
    await gate.pass();
    expect(probes).toBe(0);

    gate.observe(new TrailscopeError('S3_UNAVAILABLE', 's3://b/k: connection refused'));
    await Promise.all([gate.pass(), gate.pass()]);
    // both waiters shared one probing loop
    expect(probes).toBe(3);
    await gate.pass();
    expect(probes).toBe(3);
  });
});
