import type { TypedEvent } from '@trailscope/query';

/** The columns of CloudTrail's Event history download, plus the account (Event history is per account, we are not). */
export const CSV_COLUMNS = [
  'Event time',
  'User name',
  'Event name',
  'Resource type',
  'Resource name',
  'Event source',
  'AWS access key',
  'Source IP address',
  'Error code',
  'Request ID',
  'Event ID',
  'Read-only',
  'AWS account',
  'AWS region',
] as const;

/** The `_source` paths the columns are made of (an export to csv reads only these). */
export const CSV_SOURCE_FIELDS = [
  'eventTime',
  'userIdentity',
  'eventName',
  'resources',
  'eventSource',
  'sourceIPAddress',
  'errorCode',
  'requestID',
  'eventID',
  'readOnly',
  'account',
  'region',
] as const;

/**
 * A spreadsheet reads a cell starting with = + - @ (or a tab or carriage return, which some strip first) as a
 * formula: such a value from a record (a user agent, a resource name an attacker chose) could run one on an
 * auditor's machine. A leading apostrophe makes it text, as OWASP recommends; the value is still readable.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The name Event history shows: the user, else the role session, else the ARN's last part, else the service. */
function userNameOf(e: TypedEvent): string {
  const u = e.userIdentity;
  if (!u) return '';
  if (u.userName) return u.userName;
  if (u.type === 'AssumedRole' && u.principalId?.includes(':')) return u.principalId.slice(u.principalId.indexOf(':') + 1);
  if (u.arn) return u.arn.slice(u.arn.lastIndexOf('/') + 1) || u.arn;
  return u.invokedBy ?? '';
}

export function csvRowOf(e: TypedEvent): string[] {
  const resources = e.resources ?? [];
  const row = [
    e.eventTime,
    userNameOf(e),
    e.eventName,
    resources.map((r) => r.type ?? '').join(', '),
    resources.map((r) => r.ARN ?? '').join(', '),
    e.eventSource,
    e.userIdentity?.accessKeyId ?? '',
    e.sourceIPAddress ?? '',
    e.errorCode ?? '',
    e.requestID ?? '',
    e.eventID ?? e.id,
    e.readOnly === undefined ? '' : String(e.readOnly),
    e.account,
    e.region ?? '',
  ];
  return row.map((v) => neutraliseFormula(v ?? ''));
}
