import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { headersFromRaw, parseQueryString, verifySigV4, type ReceivedRequest } from './sigv4';
import type { AwsError } from '../lookup/aws-error';

/**
 * AWS's published SigV4 test suite (aws-sig-v4-test-suite): each request as its `.req` file has it and the
 * Authorization header of its `.authz` file. Independent of the signing library the verifier is built on, so a bug
 * shared by signer and verifier cannot pass here. Paths and query strings are given percent-encoded, as a client
 * puts them on the wire (the suite's get-utf8 / get-space / get-vanilla-utf8-query show them raw).
 */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = Date.parse('2015-08-30T12:36:00Z');
const SCOPE = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const HOST = 'Host:example.amazonaws.com';
const DATE = 'X-Amz-Date:20150830T123600Z';
const TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

interface Vector {
  name: string;
  req: string[];
  body?: string;
  signedHeaders: string;
  signature: string;
}

const VECTORS: Vector[] = [
  { name: 'get-vanilla', req: ['GET / HTTP/1.1', HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  { name: 'post-vanilla', req: ['POST / HTTP/1.1', HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
  { name: 'post-vanilla-query', req: ['POST /?Param1=value1 HTTP/1.1', HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' },
  {
    name: 'get-vanilla-query-order-key-case',
    req: ['GET /?Param2=value2&Param1=value1 HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-key',
    req: ['GET /?Param1=value2&Param1=Value1 HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1',
  },
  {
    name: 'get-vanilla-query-order-value',
    req: ['GET /?Param1=value2&Param1=value1 HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694',
  },
  {
    name: 'get-vanilla-query-unreserved',
    req: ['GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  { name: 'get-vanilla-utf8-query', req: ['GET /?%E1%88%B4=bar HTTP/1.1', HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04' },
  {
    name: 'get-unreserved',
    req: ['GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  { name: 'normalize-path/get-slashes', req: ['GET //example// HTTP/1.1', HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84' },
  {
    name: 'normalize-path/get-relative-relative',
    req: ['GET /example1/example2/../.. HTTP/1.1', HOST, DATE],
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-header-key-duplicate',
    req: ['GET / HTTP/1.1', HOST, 'My-Header1:value2', 'My-Header1:value2', 'My-Header1:value1', DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-order',
    req: ['GET / HTTP/1.1', HOST, 'My-Header1:value4', 'My-Header1:value1', 'My-Header1:value3', 'My-Header1:value2', DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
  },
  {
    name: 'get-header-value-trim',
    req: ['GET / HTTP/1.1', HOST, 'My-Header1: value1', 'My-Header2: "a   b   c"', DATE],
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-header-key-sort',
    req: ['POST / HTTP/1.1', HOST, 'My-Header1:value1', DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-header-value-case',
    req: ['POST / HTTP/1.1', HOST, 'My-Header1:VALUE1', DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  },
  {
    name: 'post-x-www-form-urlencoded',
    req: ['POST / HTTP/1.1', 'Content-Type:application/x-www-form-urlencoded', HOST, DATE],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    req: ['POST / HTTP/1.1', 'Content-Type:application/x-www-form-urlencoded; charset=utf8', HOST, DATE],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  },
  {
    name: 'post-sts-token/post-sts-header-before',
    req: ['POST / HTTP/1.1', HOST, DATE, `X-Amz-Security-Token:${TOKEN}`],
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
];

const authz = (v: Pick<Vector, 'signedHeaders' | 'signature'>) => `${SCOPE}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`;

/**
 * Sends the request's bytes over a socket to a Node HTTP server and reads it back the way the LookupEvents route
 * does (rawHeaders, raw URL, body bytes), so Node's own header handling is part of what is checked.
 */
let server: Server;
let received: Promise<IncomingMessage & { bodyBytes: Buffer }>;
let deliver: (req: IncomingMessage & { bodyBytes: Buffer }) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliver(Object.assign(req, { bodyBytes: Buffer.concat(chunks) }));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function receive(lines: string[], body = '', authorization?: string): Promise<ReceivedRequest> {
  received = new Promise((resolve) => (deliver = resolve));
  const head = [...lines, ...(authorization ? [`Authorization:${authorization}`] : []), `Content-Length:${Buffer.byteLength(body)}`, 'Connection:close'];
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  const req = await received;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: parseQueryString(q < 0 ? '' : url.slice(q + 1)),
    headers: headersFromRaw(req.rawHeaders),
    body: req.bodyBytes,
  };
}

const secrets = async (id: string) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined);
const verify = (req: ReceivedRequest, nowMs = NOW) => verifySigV4(req, secrets, { service: 'service', nowMs });

async function failure(p: Promise<unknown>): Promise<AwsError> {
  try {
    await p;
  } catch (err) {
    return err as AwsError;
  }
  throw new Error('expected a failure');
}

/** The same hex string with its character at `i` replaced by another hex digit. */
const flip = (hex: string, i: number) => `${hex.slice(0, i)}${hex[i] === '0' ? '1' : '0'}${hex.slice(i + 1)}`;

describe('verifySigV4 against the AWS SigV4 test suite', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('%s: accepts the published signature', async (_name, v) => {
    const req = await receive(v.req, v.body, authz(v));
    await expect(verify(req)).resolves.toEqual({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' });
  });

  it.each(VECTORS.map((v) => [v.name, v] as const))('%s: refuses the signature with one character changed', async (_name, v) => {
    for (const i of [0, 31, 63]) {
      const req = await receive(v.req, v.body, authz({ ...v, signature: flip(v.signature, i) }));
      const err = await failure(verify(req));
      expect([err.type, err.status]).toEqual(['InvalidSignatureException', 400]);
    }
  });

  it.each(VECTORS.filter((v) => v.body !== undefined || v.req[0]!.includes('?')).map((v) => [v.name, v] as const))(
    '%s: refuses the request with one character of its body or query changed',
    async (_name, v) => {
      const changedBody = v.body ? `${v.body.slice(0, -1)}2` : undefined;
      const lines = changedBody ? v.req : [v.req[0]!.replace(/(.) HTTP\/1\.1$/, (_m, c: string) => `${c === 'Z' ? 'Y' : 'Z'} HTTP/1.1`), ...v.req.slice(1)];
      const err = await failure(verify(await receive(lines, changedBody, authz(v))));
      expect(err.type).toBe('InvalidSignatureException');
    },
  );

  it('refuses the request with one character of a signed header changed', async () => {
    const v = VECTORS.find((x) => x.name === 'post-header-value-case')!;
    const err = await failure(verify(await receive(v.req.map((l) => l.replace('VALUE1', 'VALUE2')), '', authz(v))));
    expect(err.type).toBe('InvalidSignatureException');
  });

  it('refuses the vectors outside the 15-minute clock skew, accepts them just inside', async () => {
    const v = VECTORS[0]!;
    const req = await receive(v.req, '', authz(v));
    await expect(verify(req, NOW + 15 * 60_000)).resolves.toBeDefined();
    await expect(verify(req, NOW - 15 * 60_000)).resolves.toBeDefined();
    for (const nowMs of [NOW + 15 * 60_000 + 1000, NOW - 15 * 60_000 - 1000]) {
      const err = await failure(verify(req, nowMs));
      expect([err.type, err.message]).toEqual(['InvalidSignatureException', expect.stringMatching(/^Signature expired/)]);
    }
  });

  it('refuses a SignedHeaders list that is reordered, repeats a header or has an empty entry', async () => {
    const v = VECTORS.find((x) => x.name === 'get-header-value-trim')!;
    for (const signedHeaders of ['host;my-header2;my-header1;x-amz-date', 'host;my-header1;my-header1;my-header2;x-amz-date', 'host;my-header1;;my-header2;x-amz-date']) {
      const err = await failure(verify(await receive(v.req, '', authz({ ...v, signedHeaders }))));
      expect([err.type, err.message]).toEqual(['InvalidSignatureException', expect.stringMatching(/SignedHeaders/)]);
    }
  });

  it('answers an unknown key id exactly as a wrong secret', async () => {
    const v = VECTORS[0]!;
    const unknown = await failure(verifySigV4(await receive(v.req, '', authz(v)), async () => undefined, { service: 'service', nowMs: NOW }));
    const wrong = await failure(verifySigV4(await receive(v.req, '', authz(v)), async () => `${CREDENTIALS.secretAccessKey}x`, { service: 'service', nowMs: NOW }));
    expect([unknown.type, unknown.status, unknown.message]).toEqual([wrong.type, wrong.status, wrong.message]);
    expect(unknown.type).toBe('InvalidSignatureException');
  });
});
