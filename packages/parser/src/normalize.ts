import { isIPv6 } from 'node:net';
import { TrailscopeError, type EventDoc } from '@trailscope/model';
import type { LogSource } from './log-source';
import { eventTimeOf } from './event-time';
import { recordIdOf } from './record-id';

/**
 * Longest string leaf kept in the free-form objects of the indexed document. flat_object indexes every leaf as one
 * keyword term (and once more as `path=value`); Lucene rejects a whole document holding a term over 32,766 UTF-8
 * bytes, so a leaf of up to 8,000 characters (at most 24,000 bytes plus its path) always indexes. The untruncated
 * value stays in `raw`.
 */
export const MAX_FREE_FORM_LEAF_CHARS = 8000;

export type NormalizeResult = { ok: true; doc: EventDoc } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

const DOT = 0x2e;
const DIGIT_0 = 0x30;

/**
 * Exactly net.isIPv4 (four dot-separated decimals 0-255, no leading zeros), without its regular expression, which
 * ran for every record.
 */
export function isIPv4Text(v: string): boolean {
  const n = v.length;
  if (n < 7 || n > 15) return false;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (v.charCodeAt(i) !== DOT) return false;
      i++;
    }
    const start = i;
    let value = 0;
    while (i < n) {
      const d = v.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && v.charCodeAt(start) === DIGIT_0)) return false;
  }
  return i === n;
}

/** net.isIP(v) !== 0: every IPv6 spelling has a colon, so a colon-free string needs only the IPv4 check. */
function isIPAddress(v: string): boolean {
  if (isIPv4Text(v)) return true;
  return v.indexOf(':') >= 0 && isIPv6(v);
}

function truncate(v: string): string {
  if (v.length <= MAX_FREE_FORM_LEAF_CHARS) return v;
  // Never split a surrogate pair: a lone half is not valid UTF-16 text.
  const last = v.charCodeAt(MAX_FREE_FORM_LEAF_CHARS - 1);
  return v.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_FREE_FORM_LEAF_CHARS - 1 : MAX_FREE_FORM_LEAF_CHARS);
}

function truncateLeaves(v: unknown): unknown {
  if (typeof v === 'string') return truncate(v);
  if (Array.isArray(v)) return v.map(truncateLeaves);
  if (isObject(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v)) out[k] = truncateLeaves(v[k]);
    return out;
  }
  return v;
}

/**
 * A free-form object as flat_object accepts it: objects pass through; any other non-null value (CloudTrail writes
 * objects, but a string or array here must not reject the event) is wrapped as `{ "_value": v }`.
 */
function freeForm(v: unknown, longLeaves: boolean): unknown {
  if (v === null || v === undefined) return undefined;
  const value = longLeaves ? truncateLeaves(v) : v;
  return isObject(value) ? value : { _value: value };
}

function userIdentityOf(u: unknown): EventDoc['userIdentity'] {
  if (!isObject(u)) return undefined;
  const ctx = isObject(u.sessionContext) ? u.sessionContext : undefined;
  const attrs = ctx && isObject(ctx.attributes) ? ctx.attributes : undefined;
  const issuer = ctx && isObject(ctx.sessionIssuer) ? ctx.sessionIssuer : undefined;
  return {
    type: str(u.type),
    principalId: str(u.principalId),
    arn: str(u.arn),
    accountId: str(u.accountId),
    accessKeyId: str(u.accessKeyId),
    userName: str(u.userName),
    invokedBy: str(u.invokedBy),
    mfaAuthenticated: attrs ? bool(attrs.mfaAuthenticated) : undefined,
    sessionIssuer: issuer
      ? {
          type: str(issuer.type),
          principalId: str(issuer.principalId),
          arn: str(issuer.arn),
          accountId: str(issuer.accountId),
          userName: str(issuer.userName),
        }
      : undefined,
  };
}

function resourcesOf(v: unknown): EventDoc['resources'] {
  if (!Array.isArray(v)) return undefined;
  const out: NonNullable<EventDoc['resources']> = [];
  for (const r of v) {
    if (isObject(r)) out.push({ ARN: str(r.ARN), type: str(r.type), accountId: str(r.accountId) });
  }
  return out.length > 0 ? out : undefined;
}

function tlsDetailsOf(v: unknown): EventDoc['tlsDetails'] {
  if (!isObject(v)) return undefined;
  return {
    tlsVersion: str(v.tlsVersion),
    cipherSuite: str(v.cipherSuite),
    clientProvidedHostHeader: str(v.clientProvidedHostHeader),
  };
}

/**
 * The indexed document for one parsed record; throws RECORD_INVALID where tryNormalize returns a failure.
 */
export function normalize(record: unknown, rawText: string, source: LogSource, ingestedAt: string): EventDoc {
  const result = tryNormalize(record, rawText, source, ingestedAt);
  if (!result.ok) throw new TrailscopeError('RECORD_INVALID', `s3://${source.bucket}/${source.key}: ${result.reason}`);
  return result.doc;
}

/**
 * The indexed document for one parsed record. `rawText` is the record's original text, kept verbatim. Fails (as
 * data, not an exception) when the record is not an object or lacks eventTime, eventSource or eventName; Insights
 * records carry the last two inside insightDetails, which is accepted.
 */
export function tryNormalize(record: unknown, rawText: string, source: LogSource, ingestedAt: string): NormalizeResult {
  const doc = normalizeOrReason(record, rawText, source, ingestedAt);
  return typeof doc === 'string' ? { ok: false, reason: doc } : { ok: true, doc };
}

/**
 * tryNormalize without the result wrapper, for the parser's per-record loop: the document, or the reason the
 * record is rejected.
 */
export function normalizeOrReason(record: unknown, rawText: string, source: LogSource, ingestedAt: string): EventDoc | string {
  if (!isObject(record)) {
    const what = record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`;
    return `record is ${what}, not an object`;
  }
  const eventTime = eventTimeOf(record.eventTime);
  if (eventTime === undefined) {
    return record.eventTime === undefined ? 'record has no eventTime' : `record eventTime ${JSON.stringify(record.eventTime)} is not a date`;
  }
  const insight = isObject(record.insightDetails) ? record.insightDetails : undefined;
  const eventSource = str(record.eventSource) ?? str(insight?.eventSource);
  if (eventSource === undefined) return 'record has no eventSource';
  const eventName = str(record.eventName) ?? str(insight?.eventName);
  if (eventName === undefined) return 'record has no eventName';

  const recipientAccountId = str(record.recipientAccountId);
  const userIdentity = userIdentityOf(record.userIdentity);
  const sourceIPAddress = str(record.sourceIPAddress);
  const longLeaves = rawText.length > MAX_FREE_FORM_LEAF_CHARS;
  const eventID = str(record.eventID);
  return {
    id: recordIdOf(eventID, rawText),
    eventTime,
    eventVersion: str(record.eventVersion),
    eventID,
    eventSource,
    eventName,
    eventType: str(record.eventType),
    eventCategory: str(record.eventCategory),
    account: recipientAccountId ?? source.account ?? userIdentity?.accountId ?? 'unknown',
    region: str(record.awsRegion) ?? source.region,
    orgId: source.orgId,
    readOnly: bool(record.readOnly),
    managementEvent: bool(record.managementEvent),
    errorCode: str(record.errorCode),
    errorMessage: str(record.errorMessage),
    userIdentity,
    sourceIPAddress,
    sourceIp: sourceIPAddress !== undefined && isIPAddress(sourceIPAddress) ? sourceIPAddress : undefined,
    userAgent: str(record.userAgent),
    requestID: str(record.requestID),
    sharedEventID: str(record.sharedEventID),
    vpcEndpointId: str(record.vpcEndpointId),
    recipientAccountId,
    tlsDetails: tlsDetailsOf(record.tlsDetails),
    resources: resourcesOf(record.resources),
    requestParameters: freeForm(record.requestParameters, longLeaves),
    responseElements: freeForm(record.responseElements, longLeaves),
    additionalEventData: freeForm(record.additionalEventData, longLeaves),
    serviceEventDetails: freeForm(record.serviceEventDetails, longLeaves),
    insightDetails: freeForm(record.insightDetails, longLeaves),
    raw: rawText,
    ingest: { bucket: source.bucket, key: source.key, etag: source.etag, ingestedAt, kind: source.kind },
  };
}
