import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from '../lookup/aws-error';
import { NodeSha256 } from './node-sha256';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-case header names, as received. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Options {
  service: string;
  /** How far a request's X-Amz-Date may be from the server clock, as AWS allows. */
  maxSkewMs?: number;
  nowMs?: number;
}

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const header = (h: ReceivedRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** The access key id a request claims, before anything is verified (to look its secret up). */
export function parseAuthorization(request: ReceivedRequest): {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
} {
  const auth = header(request.headers, 'authorization');
  if (!auth) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  const m = AUTH_RE.exec(auth.trim());
  if (!m) {
    throw new AwsError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature parameters.',
    );
  }
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  return { accessKeyId: accessKeyId!, date: date!, region: region!, service: service!, signedHeaders: signedHeaders!.split(';'), signature: signature! };
}

/**
 * Verifies an AWS Signature Version 4 header signature by recomputing it with the smithy signer over exactly the
 * headers the client signed, the received path, query and body. Throws AwsError with the type AWS answers with.
 */
export async function verifySigV4(
  request: ReceivedRequest,
  secretFor: (accessKeyId: string) => Promise<string | undefined>,
  options: SigV4Options,
): Promise<{ accessKeyId: string; region: string }> {
  const auth = parseAuthorization(request);
  const nowMs = options.nowMs ?? Date.now();
  const maxSkewMs = options.maxSkewMs ?? 15 * 60_000;

  if (auth.service !== options.service) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'.`);
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new AwsError('InvalidSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const amzDate = header(request.headers, 'x-amz-date');
  const dm = amzDate ? AMZ_DATE_RE.exec(amzDate) : null;
  if (!amzDate || !dm) {
    throw new AwsError('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  }
  if (!auth.signedHeaders.includes('x-amz-date')) {
    throw new AwsError('InvalidSignatureException', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const signingDate = new Date(Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!));
  if (amzDate.slice(0, 8) !== auth.date) {
    throw new AwsError('InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.');
  }
  if (Math.abs(nowMs - signingDate.getTime()) > maxSkewMs) {
    throw new AwsError('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than the allowed ${maxSkewMs / 60000} minutes.`);
  }

  const claimedHash = header(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(request.body).digest('hex')) {
    throw new AwsError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match the request body.');
  }

  const secret = await secretFor(auth.accessKeyId);
  if (secret === undefined) {
    throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = header(request.headers, name);
    if (v === undefined) {
      throw new AwsError('InvalidSignatureException', `Signed header ${name} is missing from the request.`);
    }
    headers[name] = v;
  }
  const sessionToken = headers['x-amz-security-token'];
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({ method: request.method, protocol: 'https:', hostname: headers.host ?? '', path: request.path, query: request.query, headers, body: request.body }),
    { signingDate, signableHeaders: new Set(auth.signedHeaders), signingRegion: auth.region, signingService: auth.service },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(auth.signature, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AwsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}
