import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { deriveCursorKey, parseSearchRequest, search } from '@trailscope/query';
import { errorCodeOf } from '@trailscope/model';
import { ACCOUNT_A, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { SERVER_KEY, startTestApi, type TestApi } from './support/api-server';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface Key {
  id: string;
  secret: string;
}

const payloadOf = (cursor: string) => JSON.parse(Buffer.from(cursor.split('.')[0] ?? '', 'base64url').toString('utf8')) as Json;
const macOf = (cursor: string) => cursor.split('.')[1] ?? '';
/** The cursor with its content changed and its MAC kept, as a forger without the server key can do. */
const forge = (cursor: string, change: Json) => `${Buffer.from(JSON.stringify({ ...payloadOf(cursor), ...change })).toString('base64url')}.${macOf(cursor)}`;

/** A point-in-time id with its context ids moved: the bytes near the end (shard context ids) incremented. */
function shiftContextIds(pitId: string): string {
  const bytes = Buffer.from(pitId, 'base64');
  for (let i = bytes.length - 8; i < bytes.length; i += 1) bytes[i] = ((bytes[i] as number) + 1) & 0xff;
  return bytes.toString('base64');
}

/**
 * Two deployments (namespaces) on one cluster, each with its own API under the same server key, and a caller
 * who holds valid keys and tries to read past them with forged cursors and NextTokens.
 */
describe('cursors and NextTokens against forgery', () => {
  let a: SeededStore;
  let b: SeededStore;
  let apiA: TestApi;
  let apiB: TestApi;
  let adminA: Key;
  let otherA: Key;
  let scopedA: Key;
  let adminB: Key;

  beforeAll(async () => {
    a = await seedStore('t-forge-a', standardTrail(71));
    b = await seedStore('t-forge-b', standardTrail(72));
    apiA = await startTestApi(a, { otherNamespaces: [b.ns] });
    apiB = await startTestApi(b, { otherNamespaces: [a.ns] });
    adminA = await apiA.keys.create({ name: 'admin-a' });
    otherA = await apiA.keys.create({ name: 'other-a' });
    scopedA = await apiA.keys.create({ name: 'scoped-a', accounts: [ACCOUNT_A] });
    adminB = await apiB.keys.create({ name: 'admin-b' });
  });
  afterAll(async () => {
    await apiA?.close();
    await apiB?.close();
    await a?.close();
    await b?.close();
  });

  async function events(api: TestApi, key: Key, body: Json): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.id}.${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  /** The cursor after the second page: it holds the point in time the second page opened. */
  async function cursorWithPit(api: TestApi, key: Key, body: Json = {}): Promise<{ cursor: string; total: number }> {
    const first = await events(api, key, { pageSize: 10, ...body });
    expect(first.status).toBe(200);
    expect(payloadOf(first.json.cursor).p).toBeUndefined();
    const second = await events(api, key, { pageSize: 10, ...body, cursor: first.json.cursor });
    expect(second.status).toBe(200);
    expect(payloadOf(second.json.cursor).p).toEqual(expect.any(String));
    return { cursor: second.json.cursor, total: second.json.total };
  }

  const refused = (res: { status: number; json: Json }) => {
    expect([res.status, res.json.error?.code]).toEqual([400, 'INVALID_CURSOR']);
    expect(res.json.error.message).toBe('cursor: not valid for this request; repeat the request without a cursor');
  };

  it('two namespaces on one cluster never see each other\'s events, whole listings paged through', async () => {
    const idsB = new Set(b.events.map((e) => e.id));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await events(apiA, adminA, { pageSize: 100, cursor });
      expect(res.status).toBe(200);
      seen.push(...res.json.events.map((e: Json) => e.id));
      cursor = res.json.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(a.want(() => true));
    expect(seen.filter((id) => idsB.has(id))).toEqual([]);
    // and the other way round, for one page of everything
    const fromB = await events(apiB, adminB, { pageSize: 1000 });
    expect(fromB.json.events.map((e: Json) => e.id).sort()).toEqual(b.want(() => true));
  });

  it('refuses a cursor whose point-in-time context ids were moved', async () => {
    const { cursor } = await cursorWithPit(apiA, adminA);
    refused(await events(apiA, adminA, { pageSize: 10, cursor: forge(cursor, { p: shiftContextIds(payloadOf(cursor).p) }) }));
  });

  it('refuses another namespace\'s point in time inside a cursor of this one, and that namespace\'s own cursor', async () => {
    const mine = await cursorWithPit(apiA, adminA);
    const theirs = await cursorWithPit(apiB, adminB);
    refused(await events(apiA, adminA, { pageSize: 10, cursor: forge(mine.cursor, { p: payloadOf(theirs.cursor).p }) }));
    refused(await events(apiA, adminA, { pageSize: 10, cursor: theirs.cursor }));
    // the cursor format of before, unsigned, with the other namespace's point in time
    const unsigned = Buffer.from(JSON.stringify({ v: 1, h: 'a'.repeat(32), n: payloadOf(mine.cursor).n, a: payloadOf(mine.cursor).a, p: payloadOf(theirs.cursor).p })).toString('base64url');
    refused(await events(apiA, adminA, { pageSize: 10, cursor: unsigned }));
  });

  it('refuses, even for the same key id and server key, a cursor made in another namespace', async () => {
    const binding = { key: deriveCursorKey(SERVER_KEY, b.ns), principal: adminA.id };
    const req = parseSearchRequest({ pageSize: 10 });
    const first = await search(b.client, b.config.names, req, {}, { cursorBinding: binding });
    const second = await search(b.client, b.config.names, { ...req, cursor: first.cursor }, {}, { cursorBinding: binding });
    let err: unknown;
    try {
      await search(a.client, a.config.names, { ...req, cursor: second.cursor }, {}, { cursorBinding: { key: deriveCursorKey(SERVER_KEY, a.ns), principal: adminA.id } });
    } catch (e) {
      err = e;
    }
    expect(errorCodeOf(err)).toBe('INVALID_CURSOR');
    await b.client.deletePit({ body: { pit_id: [payloadOf(second.cursor!).p] } }).catch(() => undefined);
  });

  it('refuses a cursor made for another key, or for the same filters under a narrower scope', async () => {
    const { cursor } = await cursorWithPit(apiA, adminA);
    refused(await events(apiA, otherA, { pageSize: 10, cursor }));
    refused(await events(apiA, scopedA, { pageSize: 10, cursor }));
    const scoped = await cursorWithPit(apiA, scopedA);
    refused(await events(apiA, adminA, { pageSize: 10, cursor: scoped.cursor }));
    // the rightful holders page on
    expect((await events(apiA, adminA, { pageSize: 10, cursor })).status).toBe(200);
    const next = await events(apiA, scopedA, { pageSize: 10, cursor: scoped.cursor });
    expect(next.status).toBe(200);
    for (const e of next.json.events) expect(e.account).toBe(ACCOUNT_A);
  });

  it('refuses a tampered total, and the next page of an honest cursor keeps the counted one', async () => {
    const { cursor, total } = await cursorWithPit(apiA, adminA);
    expect(total).toBe(a.events.length);
    for (const t of [1, total + 1000, 0]) refused(await events(apiA, adminA, { pageSize: 10, cursor: forge(cursor, { t }) }));
    refused(await events(apiA, adminA, { pageSize: 10, cursor: forge(cursor, { a: [4102444800000, 'zzz'] }) }));
    const next = await events(apiA, adminA, { pageSize: 10, cursor });
    expect([next.status, next.json.total]).toEqual([200, total]);
  });

  describe('LookupEvents NextTokens', () => {
    const clientFor = (api: TestApi, key: Key) =>
      new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, maxAttempts: 1 });

    async function lookup(api: TestApi, key: Key, NextToken?: string): Promise<{ token?: string; error?: string; ids: string[] }> {
      try {
        const res = await clientFor(api, key).send(new LookupEventsCommand({ MaxResults: 10, NextToken }));
        return { token: res.NextToken, ids: (res.Events ?? []).map((e) => e.EventId ?? '') };
      } catch (err) {
        return { error: (err as { name: string }).name, ids: [] };
      }
    }

    async function tokenWithPit(api: TestApi, key: Key): Promise<string> {
      const first = await lookup(api, key);
      const second = await lookup(api, key, first.token);
      expect(payloadOf(second.token!).p).toEqual(expect.any(String));
      return second.token!;
    }

    it('refuses moved context ids, another namespace\'s point in time, another key\'s token and a tampered total', async () => {
      const token = await tokenWithPit(apiA, adminA);
      const theirs = await tokenWithPit(apiB, adminB);
      const forged = [
        forge(token, { p: shiftContextIds(payloadOf(token).p) }),
        forge(token, { p: payloadOf(theirs).p }),
        forge(token, { t: 1 }),
        theirs,
      ];
      for (const t of forged) expect((await lookup(apiA, adminA, t)).error).toBe('InvalidNextTokenException');
      expect((await lookup(apiA, otherA, token)).error).toBe('InvalidNextTokenException');
      expect((await lookup(apiA, scopedA, token)).error).toBe('InvalidNextTokenException');
      // a /v1 cursor is not a NextToken either: another request
      expect((await lookup(apiA, adminA, (await cursorWithPit(apiA, adminA)).cursor)).error).toBe('InvalidNextTokenException');
      const honest = await lookup(apiA, adminA, token);
      expect(honest.error).toBeUndefined();
      const idsA = new Set(a.events.map((e) => e.id));
      expect(honest.ids.every((id) => idsA.has(id))).toBe(true);
    });
  });

  it('caps the points in time one key holds: over it, pages go on without one; other keys keep theirs', async () => {
    const capped = await startTestApi(a, { maxPitsPerKey: 1, otherNamespaces: [b.ns] });
    try {
      const first = await cursorWithPit(capped, adminA, { regions: ['us-east-1'] });
      // the same key's second listing: its second page opens none, and still pages from the right position
      const p1 = await events(capped, adminA, { pageSize: 10, regions: ['eu-west-1'] });
      const p2 = await events(capped, adminA, { pageSize: 10, regions: ['eu-west-1'], cursor: p1.json.cursor });
      expect(p2.status).toBe(200);
      expect(payloadOf(p2.json.cursor).p).toBeUndefined();
      const whole = await events(capped, adminA, { pageSize: 20, regions: ['eu-west-1'] });
      expect([...p1.json.events, ...p2.json.events].map((e: Json) => e.id)).toEqual(whole.json.events.map((e: Json) => e.id));
      // another key is not held back
      await cursorWithPit(capped, otherA);
      // the first listing, read to its end, gives its room back
      let cursor: string | undefined = first.cursor;
      while (cursor) cursor = (await events(capped, adminA, { pageSize: 100, regions: ['us-east-1'], cursor })).json.cursor;
      await cursorWithPit(capped, adminA, { regions: ['ap-southeast-2'] });
    } finally {
      await capped.close();
    }
  });

  it('keeps cursors out of the logged URLs', async () => {
    const first = await fetch(`${apiA.url}/v1/events?pageSize=5`, { headers: { authorization: `Bearer ${adminA.id}.${adminA.secret}` } });
    const { cursor } = (await first.json()) as { cursor: string };
    const res = await fetch(`${apiA.url}/v1/events?pageSize=5&cursor=${encodeURIComponent(cursor)}`, { headers: { authorization: `Bearer ${adminA.id}.${adminA.secret}` } });
    expect(res.status).toBe(200);
    const logs = apiA.logs();
    expect(logs).toContain('cursor=[redacted]');
    expect(logs).not.toContain(cursor);
    expect(logs).not.toContain(macOf(cursor));
  });
});
