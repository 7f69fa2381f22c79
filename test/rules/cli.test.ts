import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../support/env';

const RULE = `title: Trail stopped
id: trail-stopped
logsource:
    product: aws
    service: cloudtrail
detection:
    sel:
        eventName: StopLogging
    condition: sel
level: high
`;
const BROKEN = `title: Broken
id: broken
logsource:
    product: aws
    service: cloudtrail
detection:
    sel:
        eventName|wide: StopLogging
    condition: sel
`;

const record = (eventID: string, eventName: string) => ({
  eventVersion: '1.09',
  eventTime: '2026-03-01T10:00:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName,
  awsRegion: 'eu-west-1',
  eventID,
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
});

describe('trailscope rules check / rules test', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-cli-'));
    await writeFile(join(dir, 'good.yml'), RULE);
    await writeFile(join(dir, 'broken.yml'), BROKEN);
    await writeFile(join(dir, 'events.ndjson'), `${JSON.stringify(record('e-1', 'StopLogging'))}\nnot json\n${JSON.stringify(record('e-2', 'StartLogging'))}\n`);
    await writeFile(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: [record('g-1', 'StopLogging'), record('g-2', 'DescribeTrails')] })));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('check --json: one line per rule, the refused one with file, line and reason; exit 1', async () => {
    const res = await runCli(['rules', 'check', dir, '--json']);
    expect(res.code).toBe(1);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ file: join(dir, 'good.yml'), id: 'trail-stopped', title: 'Trail stopped', status: 'ok' }),
      expect.objectContaining({ file: join(dir, 'broken.yml'), line: 8, id: 'broken', title: 'Broken', status: 'refused', reason: 'unsupported modifier |wide' }),
    ]);
  });

  it('check exits 0 when every rule loads', async () => {
    const res = await runCli(['rules', 'check', join(dir, 'good.yml'), '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toMatchObject({ id: 'trail-stopped', status: 'ok' });
  });

  it('test --json over NDJSON: match lines, a summary, the bad line reported by file:line', async () => {
    const res = await runCli(['rules', 'test', join(dir, 'good.yml'), '--events', join(dir, 'events.ndjson'), '--json']);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { ruleId: 'trail-stopped', eventId: 'e-1', eventTime: '2026-03-01T10:00:00Z', account: '111122223333', region: 'eu-west-1' },
      { summary: { rules: 1, refused: 0, matches: 1, skippedEvents: 1 } },
    ]);
    expect(res.stderr).toContain(`${join(dir, 'events.ndjson')}:2: not JSON`);
    expect(res.code).toBe(1);
  });

  it('test --json over a CloudTrail .json.gz; a refused rule is reported and the others still run', async () => {
    const res = await runCli(['rules', 'test', dir, '--events', join(dir, 'log.json.gz'), '--json']);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { ruleId: 'trail-stopped', eventId: 'g-1', eventTime: '2026-03-01T10:00:00Z', account: '111122223333', region: 'eu-west-1' },
      { summary: { rules: 1, refused: 1, matches: 1, skippedEvents: 0 } },
    ]);
    expect(res.stderr).toContain(`${join(dir, 'broken.yml')}:8: unsupported modifier |wide`);
    expect(res.code).toBe(1);
  });

  it('names a missing events file', async () => {
    const res = await runCli(['rules', 'test', join(dir, 'good.yml'), '--events', join(dir, 'nope.ndjson')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(join(dir, 'nope.ndjson'));
  });
});
