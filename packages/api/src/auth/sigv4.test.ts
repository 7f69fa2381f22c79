import { createHash } from 'node:crypto';
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

  it('rejects an unknown access key id with the answer a wrong secret gets', async () => {
    const unknown = await failure(verifySigV4(await signedRequest(), async () => undefined, { service: 'cloudtrail', nowMs: NOW }));
    const wrong = await failure(verifySigV4(await signedRequest('wrong'), secrets, { service: 'cloudtrail', nowMs: NOW }));
    expect([unknown.type, unknown.status, unknown.message]).toEqual(['InvalidSignatureException', 400, wrong.message]);
  });

  it('rejects a signature more than 15 minutes early or late', async () => {
    for (const nowMs of [NOW + 16 * 60_000, NOW - 16 * 60_000]) {
      const err = await failure(verifySigV4(await signedRequest(), secrets, { service: 'cloudtrail', nowMs }));
      expect(err.type).toBe('InvalidSignatureException');
      expect(err.message).toMatch(/Signature expired/);
    }
    await expect(verifySigV4(await signedRequest(), secrets, { service: 'cloudtrail', nowMs: NOW + 14 * 60_000 })).resolves.toBeDefined();
  });

  it('rejects a replay whose body was changed, even with a matching x-amz-content-sha256', async () => {
    const req = await signedRequest();
    const body = '{"MaxResults":50}';
    req.body = Buffer.from(body);
    req.headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
    expect((await failure(verifySigV4(req, secrets, { service: 'cloudtrail', nowMs: NOW }))).type).toBe('InvalidSignatureException');
  });

  it('rejects SignedHeaders reordered or repeated, though the signature is valid for the canonical list', async () => {
    const req = await signedRequest();
    const auth = String(req.headers.authorization);
    expect(auth).toContain('SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target,');
    for (const list of [
      'host;content-type;x-amz-content-sha256;x-amz-date;x-amz-target',
      'content-type;host;host;x-amz-content-sha256;x-amz-date;x-amz-target',
      'content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-target',
    ]) {
      const tampered = { ...req, headers: { ...req.headers, authorization: auth.replace(/SignedHeaders=[^,]+/, `SignedHeaders=${list}`) } };
      const err = await failure(verifySigV4(tampered, secrets, { service: 'cloudtrail', nowMs: NOW }));
      expect([err.type, err.message]).toEqual(['InvalidSignatureException', expect.stringMatching(/SignedHeaders/)]);
    }
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
