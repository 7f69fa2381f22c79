import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4, type ReceivedRequest } from './sigv4';
import { NodeSha256 } from './node-sha256';
import { AwsError } from '../lookup/aws-error';

const KEY = 'TSABCDEFGHIJKLMNOPQR';
const SECRET = 'correct-secret';
const NOW = Date.parse('2026-03-01T12:00:00Z');

async function signedRequest(secret = SECRET, body = '{"MaxResults":5}', date = new Date(NOW)): Promise<ReceivedRequest> {
  const signer = new SignatureV4({ credentials: { accessKeyId: KEY, secretAccessKey: secret }, region: 'us-east-1', service: 'cloudtrail', sha256: NodeSha256 });
  const req = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8080,
    path: '/',
    headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.LookupEvents', 'user-agent': 'x' },
    body,
  });
  const signed = await signer.sign(req, { signingDate: date });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v);
  return { method: 'POST', path: '/', query: {}, headers, body: Buffer.from(body) };
}

const secrets = async (id: string) => (id === KEY ? SECRET : undefined);

async function failure(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (err) {
    return err as AwsError;
  }
  throw new Error('expected a failure');
}

describe('verifySigV4', () => {
  it('accepts a request signed by the smithy signer with the right secret', async () => {
    await expect(verifySigV4(await signedRequest(), secrets, { service: 'cloudtrail', nowMs: NOW })).resolves.toEqual({ accessKeyId: KEY, region: 'us-east-1' });
  });

  it('rejects a wrong secret', async () => {
    const err = await failure(verifySigV4(await signedRequest('wrong'), secrets, { service: 'cloudtrail', nowMs: NOW }));
    expect(err.type).toBe('InvalidSignatureException');
  });

  it('rejects a body changed after signing', async () => {
    const req = await signedRequest();
    req.body = Buffer.from('{"MaxResults":50}');
    expect((await failure(verifySigV4(req, secrets, { service: 'cloudtrail', nowMs: NOW }))).type).toBe('InvalidSignatureException');
  });

  it('rejects a signed header changed after signing', async () => {
    const req = await signedRequest();
    req.headers['x-amz-target'] = 'CloudTrail_20131101.Other';
    expect((await failure(verifySigV4(req, secrets, { service: 'cloudtrail', nowMs: NOW }))).type).toBe('InvalidSignatureException');
  });

  it('rejects an unknown access key id', async () => {
    const err = await failure(verifySigV4(await signedRequest(), async () => undefined, { service: 'cloudtrail', nowMs: NOW }));
    expect(err.type).toBe('UnrecognizedClientException');
  });

  it('rejects a stale signature', async () => {
    const err = await failure(verifySigV4(await signedRequest(), secrets, { service: 'cloudtrail', nowMs: NOW + 16 * 60_000 }));
    expect(err.type).toBe('InvalidSignatureException');
    expect(err.message).toMatch(/Signature expired/);
  });

  it('rejects another service scope and missing or malformed headers', async () => {
    expect((await failure(verifySigV4(await signedRequest(), secrets, { service: 's3', nowMs: NOW }))).type).toBe('InvalidSignatureException');
    const none = await signedRequest();
    delete none.headers.authorization;
    const missing = await failure(verifySigV4(none, secrets, { service: 'cloudtrail', nowMs: NOW }));
    expect([missing.type, missing.status]).toEqual(['MissingAuthenticationTokenException', 403]);
    const bad = await signedRequest();
    bad.headers.authorization = 'AWS4-HMAC-SHA256 garbage';
    expect((await failure(verifySigV4(bad, secrets, { service: 'cloudtrail', nowMs: NOW }))).type).toBe('IncompleteSignatureException');
  });
});
