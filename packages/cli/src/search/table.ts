import Table from 'cli-table3';
import type { AggBucket, TypedEvent } from '@trailscope/query';

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, chars: BORDERLESS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  t.push(...rows);
  return t.toString();
}

const clip = (s: string | undefined, max: number) => (!s ? '-' : s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Who acted, in the shortest form an analyst recognizes: user name, role session, or the ARN's last segment. */
export function principalOf(e: TypedEvent): string | undefined {
  const ui = e.userIdentity;
  if (!ui) return undefined;
  if (ui.userName) return ui.userName;
  if (ui.type === 'Root') return 'root';
  // arn:partition:service:region:account:resource -> the resource part, e.g. assumed-role/Admin/alice
  if (ui.arn) return ui.arn.split(':').slice(5).join(':') || ui.arn;
  return ui.principalId ?? ui.invokedBy ?? ui.type;
}

export function eventsTable(events: TypedEvent[]): string {
  return table(
    ['eventTime', 'account', 'region', 'source', 'eventName', 'principal', 'sourceIP', 'error', 'eventID'],
    events.map((e) => [
      e.eventTime,
      e.account,
      e.region ?? '-',
      clip(e.eventSource?.replace(/\.amazonaws\.com$/, ''), 24),
      clip(e.eventName, 40),
      clip(principalOf(e), 48),
      clip(e.sourceIPAddress, 40),
      clip(e.errorCode, 32),
      e.eventID ?? e.id,
    ]),
  );
}

export function bucketsTable(keyHeader: string, buckets: AggBucket[], subKeyHeader?: string): string {
  if (!subKeyHeader) return table([keyHeader, 'count'], buckets.map((b) => [b.key, String(b.count)]));
  const rows: string[][] = [];
  for (const b of buckets) {
    const sub = b.aggs ? Object.values(b.aggs)[0] : undefined;
    if (sub && sub.type !== 'cardinality' && sub.buckets.length > 0) {
      for (const s of sub.buckets) rows.push([b.key, s.key, String(s.count)]);
    } else {
      rows.push([b.key, '-', String(b.count)]);
    }
  }
  return table([keyHeader, subKeyHeader, 'count'], rows);
}
