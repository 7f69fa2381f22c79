import type { ListObjectsV2CommandInput, S3Client } from '@aws-sdk/client-s3';
import { dayStartAfter, listStreamDays, type DayBatch } from './list-stream-days';

const ROOT = 'AWSLogs/111122223333/CloudTrail/eu-west-1/';
const file = (day: string, n: number) => `${ROOT}${day.replace(/-/g, '/')}/111122223333_CloudTrail_eu-west-1_${day.replace(/-/g, '')}T0${n}00Z_000000000000000${n}.json.gz`;

/** ListObjectsV2 semantics over a key list (sorted, Prefix, StartAfter, MaxKeys, continuation): the grouping's input. */
function keyServer(keys: string[]): { s3: S3Client; requests: ListObjectsV2CommandInput[] } {
  const sorted = [...keys].sort();
  const requests: ListObjectsV2CommandInput[] = [];
  const s3 = {
    async send(cmd: { input: ListObjectsV2CommandInput }) {
      const input = cmd.input;
      requests.push(input);
      const after = input.ContinuationToken ?? input.StartAfter ?? '';
      const matching = sorted.filter((k) => k.startsWith(input.Prefix ?? '') && k > after);
      const page = matching.slice(0, input.MaxKeys ?? 1000);
      const truncated = matching.length > page.length;
      return {
        Contents: page.map((Key) => ({ Key, Size: 1, ETag: '"e"' })),
        IsTruncated: truncated,
        NextContinuationToken: truncated ? page[page.length - 1] : undefined,
      };
    },
  } as unknown as S3Client;
  return { s3, requests };
}

async function collect(s3: S3Client, options: { startAfter?: string; to?: string; pageSize?: number } = {}): Promise<DayBatch[]> {
  const out: DayBatch[] = [];
  for await (const b of listStreamDays(s3, { bucket: 'b', root: ROOT, ...options })) out.push(b);
  return out;
}

describe('listStreamDays', () => {
  const keys = [
    `${ROOT}2026/02/28/`,
    file('2026-02-28', 1),
    file('2026-02-28', 2),
    `${ROOT}2026/03/`,
    file('2026-03-01', 1),
    `${ROOT}2026/03/01/notes.txt`,
    file('2026-03-02', 1),
    file('2026-03-02', 2),
    file('2026-03-02', 3),
    `${ROOT}readme.txt`,
  ];

  it('splits one sorted listing into day batches across page boundaries, keys outside day folders riding along', async () => {
    const { s3, requests } = keyServer(keys);
    const batches = await collect(s3, { pageSize: 2 });
    expect(requests).toHaveLength(5);
    expect(batches.map((b) => [b.date, b.prefix, b.files.length, b.skipped, b.lastKey])).toEqual([
      ['2026-02-28', `${ROOT}2026/02/28/`, 2, { folder: 1 }, file('2026-02-28', 2)],
      // the month's folder key sorts between two days: counted with the day after it
      ['2026-03-01', `${ROOT}2026/03/01/`, 1, { folder: 1, 'not-json-gz': 1 }, `${ROOT}2026/03/01/notes.txt`],
      ['2026-03-02', `${ROOT}2026/03/02/`, 3, {}, file('2026-03-02', 3)],
      [undefined, undefined, 0, { 'not-cloudtrail': 1 }, `${ROOT}readme.txt`],
    ]);
    expect(batches[0]?.files[0]).toEqual(expect.objectContaining({ kind: 'log', account: '111122223333', region: 'eu-west-1', deliveryDate: '2026-02-28', etag: 'e' }));
  });

  it('starts at the from day and stops at the first key past the to day without asking for more pages', async () => {
    const { s3, requests } = keyServer(keys);
    const batches = await collect(s3, { startAfter: dayStartAfter(ROOT, '2026-03-01'), to: '2026-03-01', pageSize: 2 });
    expect(batches.map((b) => b.date)).toEqual(['2026-03-01']);
    expect(batches[0]?.skipped).toEqual({ 'not-json-gz': 1 });
    expect(requests).toHaveLength(2);
    expect(requests[0]?.StartAfter).toBe(`${ROOT}2026/03/01`);
  });

  it('resumes after a batch from its last key', async () => {
    const { s3 } = keyServer(keys);
    const all = await collect(s3);
    const rest = await collect(s3, { startAfter: all[0]?.lastKey });
    expect(rest.map((b) => b.date)).toEqual(['2026-03-01', '2026-03-02', undefined]);
  });

  it('yields nothing for an empty range', async () => {
    const { s3 } = keyServer(keys);
    expect(await collect(s3, { startAfter: dayStartAfter(ROOT, '2026-03-03'), to: '2026-03-05' })).toEqual([]);
  });
});
