import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * The AWS JSON 1.1 conventions botocore and the other AWS SDKs rely on, checked on the wire: both X-Amz-Target
 * prefixes, x-amzn-RequestId on every answer, the exact media type and __type on errors.
 */
const AMZ_JSON = 'application/x-amz-json-1.1';
const SHORT = 'CloudTrail_20131101';
const LONG = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101';

const bytes = (d: SourceData) => (typeof d === 'string' ? Buffer.from(d) : Buffer.from(d as Uint8Array));
class Sha256 implements Checksum {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
}

describe('LookupEvents on the wire', () => {
  let store: SeededStore;
  let api: TestApi;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    store = await seedStore('t-awsproto', standardTrail(29, { days: ['2026-03-01'], filesPerPartition: 1 }));
    api = await startTestApi(store);
    key = await api.keys.create({ name: 'wire' });
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  async function post(target: string | undefined, body: string, options: { sign?: boolean; contentType?: string; server?: TestApi; as?: { id: string; secret: string } } = {}): Promise<Response> {
    const server = options.server ?? api;
    const credentials = options.as ?? key;
    const url = new URL(server.url);
    const headers: Record<string, string> = { host: url.host, 'content-type': options.contentType ?? AMZ_JSON };
    if (target !== undefined) headers['x-amz-target'] = target;
    if (options.sign !== false) {
      const signer = new SignatureV4({ credentials: { accessKeyId: credentials.id, secretAccessKey: credentials.secret }, region: 'us-east-1', service: 'cloudtrail', sha256: Sha256 });
      const signed = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body }));
      Object.assign(headers, signed.headers);
    }
    delete headers.host;
    return fetch(`${server.url}/`, { method: 'POST', headers, body });
  }

  async function expectAwsError(res: Response, status: number, type: string): Promise<{ __type: string; message: string }> {
    const body = (await res.json()) as { __type: string; message: string };
    expect([res.status, res.headers.get('content-type'), res.headers.get('x-amzn-errortype'), body.__type]).toEqual([status, AMZ_JSON, type, type]);
    expect(body.message).toEqual(expect.any(String));
    expect(res.headers.get('x-amzn-requestid')).toMatch(/\S/);
    return body;
  }

  it.each([SHORT, LONG])('serves %s.LookupEvents with a request id and the AWS media type', async (prefix) => {
    const res = await post(`${prefix}.LookupEvents`, '{"MaxResults":3}');
    expect([res.status, res.headers.get('content-type')]).toEqual([200, AMZ_JSON]);
    const id = res.headers.get('x-amzn-requestid');
    expect(id).toMatch(/\S/);
    const body = (await res.json()) as { Events: unknown[]; NextToken?: string };
    expect(body.Events).toHaveLength(3);
    expect(body.NextToken).toEqual(expect.any(String));
    // the answer names the request the log keeps the details under
    expect(api.logs()).toContain(`"reqId":"${id}"`);
  });

  it('gives every answer its own request id', async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i += 1) ids.add((await post(`${LONG}.LookupEvents`, '{"MaxResults":1}')).headers.get('x-amzn-requestid'));
    expect(ids.size).toBe(3);
  });

  it.each([
    [`${SHORT}.DescribeTrails`, 'DescribeTrails'],
    [`${LONG}.DescribeTrails`, 'DescribeTrails'],
    [`${LONG}.StartLogging`, 'StartLogging'],
    [`${SHORT}.ListPublicKeys`, 'ListPublicKeys'],
  ])('answers %s with UnknownOperationException', async (target, operation) => {
    const body = await expectAwsError(await post(target, '{}'), 400, 'UnknownOperationException');
    expect(body.message).toContain(operation);
  });

  it.each([['DynamoDB_20120810.Query'], ['com.amazonaws.cloudtrail.v20131101.LookupEvents'], [undefined]])('answers the target %j with UnknownOperationException', async (target) => {
    await expectAwsError(await post(target, '{}'), 400, 'UnknownOperationException');
  });

  it('answers an unsigned request, a bad body and an oversized one in AWS shape', async () => {
    await expectAwsError(await post(`${LONG}.LookupEvents`, '{}', { sign: false }), 403, 'MissingAuthenticationTokenException');
    await expectAwsError(await post(`${LONG}.LookupEvents`, '{"MaxResults":'), 400, 'SerializationException');
    await expectAwsError(await post(`${LONG}.LookupEvents`, '{"StartTime":"yesterday"}'), 400, 'SerializationException');
    // over the server's body limit: refused before the handler runs, still in AWS's shape
    await expectAwsError(await post(`${LONG}.LookupEvents`, JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), { sign: false }), 413, 'SerializationException');
  });

  it('answers a key sealed under another server key as an unknown key, and logs why', async () => {
    const unknown = await expectAwsError(await post(`${LONG}.LookupEvents`, '{}', { as: { id: 'TSAAAAAAAAAAAAAAAAAA', secret: key.secret } }), 400, 'InvalidSignatureException');
    const moved = await startTestApi(store, { serverKey: 'another-server-key-0123456789abcdef0123456789' });
    try {
      const answer = await expectAwsError(await post(`${LONG}.LookupEvents`, '{}', { server: moved }), 400, 'InvalidSignatureException');
      expect(answer).toEqual(unknown);
      expect(moved.logs()).toMatch(/secret cannot be opened/);
    } finally {
      await moved.close();
    }
  });

  it('verifies the body as bytes, whatever media type it is sent as', async () => {
    const res = await post(`${SHORT}.LookupEvents`, '{"MaxResults":2}', { contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { Events: unknown[] }).Events).toHaveLength(2);
  });
});
