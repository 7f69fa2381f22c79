import { isIP } from 'node:net';
import { count, getEvent, parseSearchRequest, search, type SearchRequestInput } from '@trailscope/query';
import { errorCodeOf } from '@trailscope/model';
import { ACCOUNT_A, ACCOUNT_B, ORG_ACCOUNT, seedStore, standardTrail, type SeedEvent, type SeededStore } from './support/seed';
import { idsOf, searchAll } from './support/search-all';

/** IPv4 CIDR membership, computed independently of OpenSearch. */
function inCidr4(ip: string, cidr: string): boolean {
  if (isIP(ip) !== 4) return false;
  const [base, bits] = cidr.split('/') as [string, string];
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const blockSize = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / blockSize) === Math.floor(toInt(base) / blockSize);
}

const ui = (e: SeedEvent) => (e.record.userIdentity ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const issuer = (e: SeedEvent) => (ui(e).sessionContext?.sessionIssuer ?? {}) as Record<string, string>;
const leaves = (v: unknown): string[] =>
  v === null || v === undefined ? [] : typeof v === 'object' ? Object.values(v as object).flatMap(leaves) : [String(v)];

describe('search over a seeded multi-account, multi-region trail', () => {
  let store: SeededStore;
  const trail = standardTrail(7);

  beforeAll(async () => {
    store = await seedStore('t-query', trail);
  });
  afterAll(async () => {
    await store?.close();
  });

  const ids = async (input: SearchRequestInput, nowMs?: number) => idsOf((await searchAll(store, input, {}, { nowMs })).events);
  const pickOne = <T>(values: Array<T | undefined>): T => {
    const v = values.find((x) => x !== undefined && x !== '');
    if (v === undefined) throw new Error('seed lacks a value for this test');
    return v;
  };

  it('returns every event without filters, newest first, each with its normalized fields', async () => {
    const { events, total } = await searchAll(store, {});
    expect(total).toBe(store.events.length);
    expect(idsOf(events)).toEqual(store.want(() => true));
    const times = events.map((e) => Date.parse(e.eventTime));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const sample = events[0]!;
    const seeded = store.events.find((e) => e.id === sample.id)!;
    expect(sample).toEqual(expect.objectContaining({ account: seeded.record.recipientAccountId, eventName: seeded.record.eventName, eventSource: seeded.record.eventSource }));
    expect(sample.raw).toBeUndefined();
  });

  it('sorts ascending with a stable tie-break', async () => {
    const { events } = await searchAll(store, { sort: 'asc', pageSize: 50 });
    const keys = events.map((e) => [Date.parse(e.eventTime), e.id] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    expect(keys).toEqual(sorted);
  });

  it.each([
    ['accounts', { accounts: [ACCOUNT_A] }, (e: SeedEvent) => e.record.recipientAccountId === ACCOUNT_A],
    ['accounts (OR, org account)', { accounts: [ACCOUNT_B, ORG_ACCOUNT] }, (e: SeedEvent) => [ACCOUNT_B, ORG_ACCOUNT].includes(e.record.recipientAccountId)],
    ['regions', { regions: ['eu-west-1', 'ap-southeast-2'] }, (e: SeedEvent) => ['eu-west-1', 'ap-southeast-2'].includes(e.record.awsRegion)],
    ['eventNames', { eventNames: ['DeleteBucket', 'RunInstances'] }, (e: SeedEvent) => ['DeleteBucket', 'RunInstances'].includes(e.record.eventName)],
    ['eventSources', { eventSources: ['iam.amazonaws.com'] }, (e: SeedEvent) => e.record.eventSource === 'iam.amazonaws.com'],
    ['eventTypes', { eventTypes: ['AwsConsoleSignIn'] }, (e: SeedEvent) => e.record.eventType === 'AwsConsoleSignIn'],
    ['eventCategory', { eventCategory: 'Data' as const }, (e: SeedEvent) => e.record.eventCategory === 'Data'],
    ['excludeEventCategories', { excludeEventCategories: ['Data' as const] }, (e: SeedEvent) => e.record.eventCategory !== 'Data'],
    ['users by name (user or role session)', { users: ['alice'] }, (e: SeedEvent) =>
      ui(e).userName === 'alice' || issuer(e).userName === 'alice' || String(ui(e).arn ?? '').endsWith('/alice') || String(ui(e).principalId ?? '').endsWith(':alice')],
    ['userNames', { userNames: ['bob'] }, (e: SeedEvent) => ui(e).userName === 'bob'],
    ['userTypes', { userTypes: ['Root', 'AWSService'] }, (e: SeedEvent) => ['Root', 'AWSService'].includes(ui(e).type)],
    ['sessionIssuerNames', { sessionIssuerNames: ['Admin'] }, (e: SeedEvent) => issuer(e).userName === 'Admin'],
    ['sourceIps CIDR', { sourceIps: ['10.0.0.0/8'] }, (e: SeedEvent) => inCidr4(e.record.sourceIPAddress, '10.0.0.0/8')],
    ['sourceIps IPv6 CIDR and service name', { sourceIps: ['2001:db8::/32', 'ec2.amazonaws.com'] }, (e: SeedEvent) =>
      String(e.record.sourceIPAddress).startsWith('2001:db8:') || e.record.sourceIPAddress === 'ec2.amazonaws.com'],
    ['userAgent substring, any case', { userAgent: 'BOTO3' }, (e: SeedEvent) => String(e.record.userAgent).toLowerCase().includes('boto3')],
    ['errorCodes', { errorCodes: ['AccessDenied'] }, (e: SeedEvent) => e.record.errorCode === 'AccessDenied'],
    ['errorsOnly', { errorsOnly: true }, (e: SeedEvent) => e.record.errorCode !== undefined],
    ['successful only', { errorsOnly: false }, (e: SeedEvent) => e.record.errorCode === undefined],
    ['readOnly', { readOnly: false }, (e: SeedEvent) => e.record.readOnly === false],
    ['resourceTypes', { resourceTypes: ['AWS::S3::Bucket'] }, (e: SeedEvent) => (e.record.resources ?? []).some((r: { type: string }) => r.type === 'AWS::S3::Bucket')],
    ['resourceNames', { resourceNames: ['logs-1'] }, (e: SeedEvent) => (e.record.resources ?? []).some((r: { ARN: string }) => r.ARN.endsWith(':logs-1') || r.ARN.endsWith('/logs-1'))],
    ['requestParameters path = value', { fields: { 'requestParameters.bucketName': ['logs-1', 'app-assets'] } }, (e: SeedEvent) =>
      ['logs-1', 'app-assets'].includes(e.record.requestParameters?.bucketName)],
    ['additionalEventData path = value', { fields: { 'additionalEventData.MFAUsed': ['No'] } }, (e: SeedEvent) => e.record.additionalEventData?.MFAUsed === 'No'],
    ['AND across fields', { accounts: [ACCOUNT_A], regions: ['us-east-1'], errorsOnly: true }, (e: SeedEvent) =>
      e.record.recipientAccountId === ACCOUNT_A && e.record.awsRegion === 'us-east-1' && e.record.errorCode !== undefined],
  ])('filters by %s', async (_name, input, pred) => {
    const want = store.want(pred);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(store.events.length);
    expect(await ids(input as SearchRequestInput)).toEqual(want);
    expect(await count(store.client, store.config.names, parseSearchRequest(input), {})).toBe(want.length);
  });

  it('filters by identity values taken from the data', async () => {
    const arn = pickOne(store.events.map((e) => ui(e).arn as string | undefined));
    expect(await ids({ principalArns: [arn] })).toEqual(store.want((e) => ui(e).arn === arn));
    expect(await ids({ users: [arn] })).toEqual(store.want((e) => ui(e).arn === arn || issuer(e).arn === arn));
    const pid = pickOne(store.events.map((e) => ui(e).principalId as string | undefined));
    expect(await ids({ principalIds: [pid] })).toEqual(store.want((e) => ui(e).principalId === pid));
    const key = pickOne(store.events.map((e) => ui(e).accessKeyId as string | undefined));
    expect(await ids({ accessKeyIds: [key] })).toEqual(store.want((e) => ui(e).accessKeyId === key));
    const role = pickOne(store.events.map((e) => issuer(e).arn));
    expect(await ids({ sessionIssuerArns: [role] })).toEqual(store.want((e) => issuer(e).arn === role));
    const ip = pickOne(store.events.map((e) => (isIP(String(e.record.sourceIPAddress)) ? String(e.record.sourceIPAddress) : undefined)));
    expect(await ids({ sourceIps: [ip] })).toEqual(store.want((e) => e.record.sourceIPAddress === ip));
    const resource = pickOne(store.events.flatMap((e) => (e.record.resources ?? []).map((r: { ARN: string }) => r.ARN)));
    expect(await ids({ resourceArns: [resource] })).toEqual(store.want((e) => (e.record.resources ?? []).some((r: { ARN: string }) => r.ARN === resource)));
    const one = store.events[5]!;
    expect(await ids({ eventIds: [one.id] })).toEqual([one.id]);
  });

  it('matches free text against whole values: an access key id, a bucket name', async () => {
    const key = pickOne(store.events.map((e) => ui(e).accessKeyId as string | undefined));
    expect(await ids({ text: key })).toEqual(store.want((e) => ui(e).accessKeyId === key));
    const want = store.want(
      (e) =>
        [e.record.requestParameters, e.record.responseElements, e.record.additionalEventData].some((v) => leaves(v).includes('logs-1')),
    );
    expect(want.length).toBeGreaterThan(0);
    expect(await ids({ text: 'logs-1' })).toEqual(want);
  });

  it('includes the end of the time range to the millisecond and resolves relative ranges against now', async () => {
    const times = [...new Set(store.events.map((e) => String(e.record.eventTime)))].sort();
    const edge = times[Math.floor(times.length / 2)]!;
    const edgeMs = Date.parse(edge);
    const upTo = (ms: number) => store.want((e) => Date.parse(e.record.eventTime) <= ms);
    expect(await ids({ to: new Date(edgeMs).toISOString() })).toEqual(upTo(edgeMs));
    expect(await ids({ to: new Date(edgeMs - 1).toISOString() })).toEqual(upTo(edgeMs - 1));
    expect(upTo(edgeMs)).not.toEqual(upTo(edgeMs - 1));
    expect(await ids({ from: edge, to: edge })).toEqual(store.want((e) => Date.parse(e.record.eventTime) === edgeMs));

    const nowMs = Date.parse('2026-03-02T12:00:00Z');
    expect(await ids({ from: '6h' }, nowMs)).toEqual(store.want((e) => Date.parse(e.record.eventTime) >= nowMs - 6 * 3_600_000));
  });

  it('returns the raw record byte for byte on request, by search and by id', async () => {
    const target = store.events.find((e) => e.raw.includes('\\/')) ?? store.events[0]!;
    const page = await search(store.client, store.config.names, parseSearchRequest({ eventIds: [target.id], includeRaw: true }), {});
    expect(page.events).toHaveLength(1);
    expect(page.events[0]!.raw).toBe(target.raw);
    const event = await getEvent(store.client, store.config.names, target.id, {}, { includeRaw: true });
    expect(event.raw).toBe(target.raw);
    expect((await getEvent(store.client, store.config.names, target.id, {})).raw).toBeUndefined();
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    await expect(getEvent(store.client, store.config.names, 'no-such-event', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('scope', () => {
    const scopeA = { accounts: [ACCOUNT_A] };

    it('confines every search to the scope', async () => {
      expect(idsOf((await searchAll(store, {}, scopeA)).events)).toEqual(store.want((e) => e.record.recipientAccountId === ACCOUNT_A));
      expect(idsOf((await searchAll(store, { errorsOnly: true }, { accounts: [ACCOUNT_A], regions: ['us-east-1'] })).events)).toEqual(
        store.want((e) => e.record.recipientAccountId === ACCOUNT_A && e.record.awsRegion === 'us-east-1' && e.record.errorCode !== undefined),
      );
    });

    it('refuses an explicit account outside the scope', async () => {
      let err: unknown;
      try {
        await search(store.client, store.config.names, parseSearchRequest({ accounts: [ACCOUNT_B] }), scopeA);
      } catch (e) {
        err = e;
      }
      expect(errorCodeOf(err)).toBe('FORBIDDEN');
    });

    it('cannot be widened by a path = value filter, free text or an event id', async () => {
      expect((await searchAll(store, { fields: { account: [ACCOUNT_B] } }, scopeA)).events).toEqual([]);
      const other = store.events.find((e) => e.record.recipientAccountId === ACCOUNT_B)!;
      expect((await searchAll(store, { text: other.id }, scopeA)).events).toEqual([]);
      expect((await searchAll(store, { eventIds: [other.id] }, scopeA)).events).toEqual([]);
      await expect(getEvent(store.client, store.config.names, other.id, scopeA)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await count(store.client, store.config.names, parseSearchRequest({}), scopeA)).toBe(store.want((e) => e.record.recipientAccountId === ACCOUNT_A).length);
    });
  });
});
