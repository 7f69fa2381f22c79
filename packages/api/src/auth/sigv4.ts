import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from '../lookup/aws-error';
import { NodeSha256 } from './node-sha256';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, as received (still percent-encoded). */
  path: string;
  /** Decoded query parameters; repeated keys as arrays in the order received. */
  query: Record<string, string | string[]>;
  /** Lower-case header names; a header received several times as an array in the order received. */
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

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// Signing work is done for unknown key ids too, so that their answer costs what a wrong secret's does.
const UNKNOWN_KEY_SECRET = 'trailscope-unknown-access-key-id';

/** SigV4 joins a header received several times with commas, in order (Node's `headers` would join with ", "). */
const header = (h: ReceivedRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * Header names lower-cased, each with its values in the order received, from Node's `rawHeaders`
 * (`[name, value, name, value, ...]`). A null-prototype object: header names never reach Object.prototype.
 */
export function headersFromRaw(rawHeaders: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    (out[name] ??= []).push(rawHeaders[i + 1] as string);
  }
  return out;
}

/**
 * A query string as SigV4 canonicalizes it: `&`-separated, percent-decoded (`+` stays a plus, as in a URI),
 * repeated keys kept in order. Text that is not valid percent-encoding is kept as received.
 */
export function parseQueryString(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

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
 * headers the client signed, the received path, query and body. Throws AwsError with the type AWS answers with,
 * except that an unknown (or revoked) key id is answered like a wrong secret, so that answers do not tell which
 * key ids exist.
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
  // The canonical request lists the signed headers sorted and once each; a list in any other form is not the
  // one the signature covers, however the rest of the request looks.
  const canonicalList = [...new Set(auth.signedHeaders)].sort();
  if (canonicalList.join(';') !== auth.signedHeaders.join(';') || auth.signedHeaders.includes('')) {
    throw new AwsError('InvalidSignatureException', 'SignedHeaders must list lower-case header names sorted and each once, separated by semicolons.');
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
  if (!Number.isFinite(signingDate.getTime()) || Math.abs(nowMs - signingDate.getTime()) > maxSkewMs) {
    throw new AwsError('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than the allowed ${maxSkewMs / 60000} minutes.`);
  }

  const claimedHash = header(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(request.body).digest('hex')) {
    throw new AwsError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match the request body.');
  }

  const headers: Record<string, string> = Object.create(null);
  for (const name of auth.signedHeaders) {
    const v = header(request.headers, name);
    if (v === undefined) {
      throw new AwsError('InvalidSignatureException', `Signed header ${name} is missing from the request.`);
    }
    headers[name] = v;
  }

  const known = await secretFor(auth.accessKeyId);
  const sessionToken = headers['x-amz-security-token'];
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: known ?? UNKNOWN_KEY_SECRET, ...(sessionToken ? { sessionToken } : {}) },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({ method: request.method, protocol: 'https:', hostname: headers.host ?? '', path: request.path, query: request.query, headers: { ...headers }, body: request.body }),
    { signingDate, signableHeaders: new Set(auth.signedHeaders), signingRegion: auth.region, signingService: auth.service },
  );
  const computed = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization ?? ''));
  const a = Buffer.from(computed?.[2] ?? '', 'utf8');
  const b = Buffer.from(auth.signature, 'utf8');
  const matches = a.length === b.length && timingSafeEqual(a, b);
  if (!matches || known === undefined) throw new AwsError('InvalidSignatureException', SIGNATURE_MISMATCH);
  // The signer signs what it canonicalizes; a header it would drop or add means the client's list is not canonical.
  if (computed?.[1] !== auth.signedHeaders.join(';')) {
    throw new AwsError('InvalidSignatureException', 'SignedHeaders must equal the canonical list of the headers signed.');
  }
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}
