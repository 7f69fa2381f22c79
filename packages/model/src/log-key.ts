/** What a bucket key is, read from its path alone (the date folders are the delivery date, UTC). */
export type LogKeyKind = 'log' | 'insight' | 'digest' | 'other';

export interface LogKeyInfo {
  kind: LogKeyKind;
  /** Why an object is not ingested; set for every kind but `log` and `insight`. */
  skipReason?: SkipReason;
  prefix: string;
  orgId?: string;
  account?: string;
  region?: string;
  /** Delivery date folder as YYYY-MM-DD. */
  deliveryDate?: string;
}

export type SkipReason = 'digest' | 'folder' | 'not-cloudtrail' | 'not-json-gz';

const LAYOUT =
  /^(?<prefix>(?:.*\/)?)AWSLogs\/(?:(?<org>o-[a-z0-9]{10,32})\/)?(?<account>\d{12})\/(?<kind>CloudTrail|CloudTrail-Insight|CloudTrail-Digest)\/(?<region>[a-z0-9-]+)\/(?<y>\d{4})\/(?<m>\d{2})\/(?<d>\d{2})\/(?<file>[^/]+)$/;

export function parseLogKey(key: string): LogKeyInfo {
  if (key.endsWith('/')) return { kind: 'other', skipReason: 'folder', prefix: '' };
  const m = LAYOUT.exec(key);
  if (!m || !m.groups) return { kind: 'other', skipReason: 'not-cloudtrail', prefix: '' };
  const g = m.groups as Record<string, string>;
  const base: LogKeyInfo = {
    kind: 'other',
    prefix: g.prefix ?? '',
    account: g.account,
    region: g.region,
    deliveryDate: `${g.y}-${g.m}-${g.d}`,
  };
  if (g.org) base.orgId = g.org;
  if (g.kind === 'CloudTrail-Digest') return { ...base, kind: 'digest', skipReason: 'digest' };
  if (!(g.file ?? '').endsWith('.json.gz')) return { ...base, skipReason: 'not-json-gz' };
  return { ...base, kind: g.kind === 'CloudTrail-Insight' ? 'insight' : 'log' };
}

/** The listing prefix of one account/region/day partition, the unit the planner lists in parallel. */
export function partitionPrefix(p: {
  prefix: string;
  orgId?: string;
  account: string;
  kind: 'log' | 'insight';
  region: string;
  date: string;
}): string {
  const root = normalizePrefix(p.prefix) + 'AWSLogs/' + (p.orgId ? `${p.orgId}/` : '') + `${p.account}/`;
  const folder = p.kind === 'insight' ? 'CloudTrail-Insight' : 'CloudTrail';
  return `${root}${folder}/${p.region}/${p.date.replace(/-/g, '/')}/`;
}

/** A user prefix with exactly one trailing slash, or the empty string. */
export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? `${trimmed}/` : '';
}
