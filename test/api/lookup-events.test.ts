import {
  CloudTrailClient,
  DescribeTrailsCommand,
  LookupEventsCommand,
  paginateLookupEvents,
  type LookupEventsCommandInput,
  type Event as CtEvent,
} from '@aws-sdk/client-cloudtrail';
import { ACCOUNT_A, seedStore, standardTrail, type SeedEvent, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * The unmodified AWS SDK against `POST /`: SigV4 signed with an API key, AWS JSON 1.1 both ways, modeled errors.
 */
describe('CloudTrail LookupEvents compatibility', () => {
  let store: SeededStore;
  let api: TestApi;
  let admin: { id: string; secret: string };
  let scoped: { id: string; secret: string };

  beforeAll(async () => {
    store = await seedStore('t-lookup', standardTrail(41));
    api = await startTestApi(store);
    admin = await api.keys.create({ name: 'sdk' });
    scoped = await api.keys.create({ name: 'sdk-a', accounts: [ACCOUNT_A] });
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  const clientFor = (key: { id: string; secret: string }, secret = key.secret) =>
    new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: secret }, maxAttempts: 1 });

  async function lookupAll(input: LookupEventsCommandInput, key = admin, pageSize?: number): Promise<{ events: CtEvent[]; pages: number }> {
    const events: CtEvent[] = [];
    let pages = 0;
    for await (const page of paginateLookupEvents({ client: clientFor(key), pageSize }, input)) {
      pages += 1;
      events.push(...(page.Events ?? []));
    }
    return { events, pages };
  }

  const ids = (events: CtEvent[]) => events.map((e) => e.EventId ?? '').sort();
  const ui = (e: SeedEvent) => e.record.userIdentity ?? {};

  it('pages through every event newest first with the SDK paginator', async () => {
    const { events, pages } = await lookupAll({ MaxResults: 50 }, admin, 50);
    expect(ids(events)).toEqual(store.want(() => true));
    expect(pages).toBe(Math.ceil(store.events.length / 50));
    const times = events.map((e) => e.EventTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('returns each event in the AWS shape with the raw record as CloudTrailEvent', async () => {
    const seeded = store.events.find((e) => e.record.resources && ui(e).userName)!;
    const res = await clientFor(admin).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: seeded.id }] }));
    expect(res.NextToken).toBeUndefined();
    expect(res.Events).toEqual([
      {
        EventId: seeded.id,
        EventName: seeded.record.eventName,
        ReadOnly: String(seeded.record.readOnly),
        AccessKeyId: ui(seeded).accessKeyId,
        EventTime: new Date(seeded.record.eventTime),
        EventSource: seeded.record.eventSource,
        Username: ui(seeded).userName,
        Resources: seeded.record.resources.map((r: { ARN: string; type: string }) => ({ ResourceType: r.type, ResourceName: r.ARN })),
        CloudTrailEvent: seeded.raw,
      },
    ]);
  });

  it.each([
    ['EventName', () => 'DeleteBucket', (e: SeedEvent, v: string) => e.record.eventName === v],
    ['EventSource', () => 'ec2.amazonaws.com', (e: SeedEvent, v: string) => e.record.eventSource === v],
    ['ReadOnly', () => 'false', (e: SeedEvent) => e.record.readOnly === false],
    ['Username', () => 'carol', (e: SeedEvent, v: string) => ui(e).userName === v || String(ui(e).arn ?? '').endsWith(`/${v}`) || String(ui(e).principalId ?? '').endsWith(`:${v}`) || ui(e).sessionContext?.sessionIssuer?.userName === v],
    ['ResourceType', () => 'AWS::S3::Bucket', (e: SeedEvent, v: string) => (e.record.resources ?? []).some((r: { type: string }) => r.type === v)],
    ['ResourceName', () => 'logs-1', (e: SeedEvent, v: string) => (e.record.resources ?? []).some((r: { ARN: string }) => r.ARN.endsWith(`:${v}`) || r.ARN.endsWith(`/${v}`))],
    ['AccessKeyId', (s: SeededStore) => String(s.events.find((e) => ui(e).accessKeyId)!.record.userIdentity.accessKeyId), (e: SeedEvent, v: string) => ui(e).accessKeyId === v],
  ])('filters by %s', async (key, valueOf, pred) => {
    const value = valueOf(store);
    const want = store.want((e) => pred(e, value));
    expect(want.length).toBeGreaterThan(0);
    const { events } = await lookupAll({ LookupAttributes: [{ AttributeKey: key as never, AttributeValue: value }] }, admin, 7);
    expect(ids(events)).toEqual(want);
  });

  it('filters by time range (epoch seconds, both ends inclusive)', async () => {
    const times = [...new Set(store.events.map((e) => String(e.record.eventTime)))].sort();
    const start = new Date(times[10]!);
    const end = new Date(times[times.length - 10]!);
    const { events } = await lookupAll({ StartTime: start, EndTime: end });
    expect(ids(events)).toEqual(store.want((e) => Date.parse(e.record.eventTime) >= start.getTime() && Date.parse(e.record.eventTime) <= end.getTime()));
  });

  it('shows a scoped key only its accounts', async () => {
    const { events } = await lookupAll({}, scoped, 50);
    expect(ids(events)).toEqual(store.want((e) => e.record.recipientAccountId === ACCOUNT_A));
    for (const e of events) expect(JSON.parse(e.CloudTrailEvent!).recipientAccountId).toBe(ACCOUNT_A);
  });

  async function errorOf(input: LookupEventsCommandInput, client = clientFor(admin)): Promise<{ name: string; status?: number }> {
    try {
      await client.send(new LookupEventsCommand(input));
    } catch (err) {
      const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
      return { name: e.name, status: e.$metadata?.httpStatusCode };
    }
    return { name: 'none' };
  }

  it.each([
    ['InvalidLookupAttributesException', { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'A' }, { AttributeKey: 'EventSource', AttributeValue: 'B' }] }],
    ['InvalidLookupAttributesException', { LookupAttributes: [{ AttributeKey: 'Bogus', AttributeValue: 'A' }] }],
    ['InvalidTimeRangeException', { StartTime: new Date('2026-03-02T00:00:00Z'), EndTime: new Date('2026-03-01T00:00:00Z') }],
    ['InvalidMaxResultsException', { MaxResults: 51 }],
    ['InvalidMaxResultsException', { MaxResults: 0 }],
    ['InvalidEventCategoryException', { EventCategory: 'management' }],
    ['InvalidNextTokenException', { NextToken: 'not-a-token' }],
  ])('answers %s as the SDK expects', async (type, input) => {
    expect(await errorOf(input as LookupEventsCommandInput)).toEqual({ name: type, status: 400 });
  });

  it('rejects a NextToken reused with other parameters', async () => {
    const first = await clientFor(admin).send(new LookupEventsCommand({ MaxResults: 5 }));
    expect(first.NextToken).toBeDefined();
    expect((await errorOf({ MaxResults: 5, NextToken: first.NextToken, LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }] })).name).toBe('InvalidNextTokenException');
  });

  it('rejects a wrong secret, an unknown key and a revoked key with the same AWS auth error', async () => {
    expect(await errorOf({}, clientFor(admin, `${admin.secret}x`))).toEqual({ name: 'InvalidSignatureException', status: 400 });
    expect(await errorOf({}, clientFor({ id: 'TSAAAAAAAAAAAAAAAAAA', secret: admin.secret }))).toEqual({ name: 'InvalidSignatureException', status: 400 });
    const revoked = await api.keys.create({ name: 'gone' });
    await api.keys.revoke(revoked.id);
    expect(await errorOf({}, clientFor(revoked))).toEqual({ name: 'InvalidSignatureException', status: 400 });
  });

  it('rejects unsigned requests and other operations', async () => {
    const unsigned = await fetch(`${api.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.LookupEvents' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: expect.any(String) });
    let other: unknown;
    try {
      await clientFor(admin).send(new DescribeTrailsCommand({}));
    } catch (err) {
      other = err;
    }
    expect((other as { name?: string }).name).toBe('UnknownOperationException');
    expect(api.logs()).not.toContain(admin.secret);
  });
});
