import { createHash, createHmac } from 'node:crypto';

/** The finding fields alerting reads (a FindingDoc of @trailscope/detect has them all). */
export interface AlertFinding {
  id: string;
  ruleId: string;
  ruleTitle: string;
  ruleLevel: string;
  ruleTags: string[];
  eventIds: string[];
  eventTime: string;
  lastSeen?: string;
  account?: string;
  region?: string;
  principal?: string;
  sourceIp?: string;
  groupKey?: string;
}

/**
 * What a destination receives. `kind: "summary"` closes a throttling window whose count grew after the first alert:
 * same `id` as that alert, `count` the window's total, `more` = count - 1.
 */
export interface Alert {
  id: string;
  kind: 'alert' | 'summary';
  ruleId: string;
  ruleTitle: string;
  level: string;
  tags: string[];
  findingId: string;
  findingUrl: string;
  eventTime: string;
  eventIds: string[];
  account?: string;
  region?: string;
  principal?: string;
  sourceIp?: string;
  /** Throttled rules: the group key (`field=value` pairs) and the window's start. */
  groupKey?: string;
  windowStart?: string;
  count: number;
  more: number;
}

const digest = (parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);

/**
 * Alert ids are derived from what they are about, so a replay or a crash re-creates the same id: the id is the
 * idempotency key receivers dedupe on.
 */
export function alertIdFor(findingId: string): string {
  return `a-${digest(['finding', findingId])}`;
}

export function throttledAlertId(ruleId: string, groupKey: string, windowStartMs: number): string {
  return `a-${digest(['throttle', ruleId, groupKey, String(windowStartMs)])}`;
}

export function findingUrl(apiUrl: string, findingId: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/v1/findings/${encodeURIComponent(findingId)}`;
}

export function alertFromFinding(f: AlertFinding, id: string, apiUrl: string, throttle?: { groupKey: string; windowStartMs: number }): Alert {
  const a: Alert = {
    id,
    kind: 'alert',
    ruleId: f.ruleId,
    ruleTitle: f.ruleTitle,
    level: f.ruleLevel,
    tags: f.ruleTags,
    findingId: f.id,
    findingUrl: findingUrl(apiUrl, f.id),
    eventTime: f.eventTime,
    eventIds: f.eventIds.slice(0, 10),
    count: 1,
    more: 0,
  };
  if (f.account) a.account = f.account;
  if (f.region) a.region = f.region;
  if (f.principal) a.principal = f.principal;
  if (f.sourceIp) a.sourceIp = f.sourceIp;
  if (throttle) {
    a.groupKey = throttle.groupKey;
    a.windowStart = new Date(throttle.windowStartMs).toISOString();
  } else if (f.groupKey) a.groupKey = f.groupKey;
  return a;
}

export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const mrkdwnEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack incoming-webhook message: a header, one field per fact, a link to the finding. */
export function slackBody(a: Alert): Record<string, unknown> {
  const title = a.kind === 'summary' ? `${a.ruleTitle} (and ${a.more} more)` : a.ruleTitle;
  const field = (label: string, value: string | undefined) => ({ type: 'mrkdwn', text: `*${label}*\n${mrkdwnEscape(value ?? '-')}` });
  return {
    text: `[${a.level}] ${title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `[${a.level}] ${title}`.slice(0, 150) } },
      {
        type: 'section',
        fields: [
          field('Level', a.level),
          field('Account', a.account),
          field('Region', a.region),
          field('Principal', a.principal),
          field('Source IP', a.sourceIp),
          field('Event time', a.eventTime),
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: `<${a.findingUrl}|Finding ${a.findingId}>${a.count > 1 ? ` · ${a.count} matches in this window` : ''}` } },
    ],
  };
}
