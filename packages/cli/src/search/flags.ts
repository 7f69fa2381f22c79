import { InvalidArgumentError, type Command } from 'commander';
import { TrailscopeError, errorCodeOf, errorMessageOf } from '@trailscope/model';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseBooleanFlag(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('expected true or false');
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer');
  return Number(value);
}

export function parseFieldFilter(value: string, previous: Record<string, string[]> = {}): Record<string, string[]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected PATH=VALUE, e.g. requestParameters.bucketName=logs-1');
  const path = value.slice(0, eq);
  return { ...previous, [path]: [...(previous[path] ?? []), value.slice(eq + 1)] };
}

/** The search filter flags: the contract's names first, then one flag per remaining SearchRequest field. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--account <id>', 'recipient account id (repeatable)', collect)
    .option('--region <region>', 'AWS region (repeatable)', collect)
    .option('--from <time>', 'start of eventTime range: ISO-8601, a date, or back from now (24h, 7d)')
    .option('--to <time>', 'end of eventTime range, inclusive to the millisecond')
    .option('--event-name <name>', 'API action, e.g. DeleteBucket (repeatable)', collect)
    .option('--event-source <source>', 'service, e.g. s3.amazonaws.com (repeatable)', collect)
    .option('--user <nameOrArn>', 'user name, role session name or principal ARN (repeatable)', collect)
    .option('--access-key-id <key>', 'access key id (repeatable)', collect)
    .option('--source-ip <ipOrCidr>', 'source IP address, CIDR block or service name (repeatable)', collect)
    .option('--error-code <code>', 'error code (repeatable)', collect)
    .option('--errors-only', 'only failed calls')
    .option('--read-only <bool>', 'true: only read-only calls, false: only mutating calls', parseBooleanFlag)
    .option('--resource <arnOrName>', 'resource ARN, or a resource name such as a bucket (repeatable)', collect)
    .option('--text <query>', 'free text over names, identities, errors, addresses and request values')
    .option('--event-id <id>', 'eventID (repeatable)', collect)
    .option('--event-type <type>', 'AwsApiCall, AwsConsoleSignIn, ... (repeatable)', collect)
    .option('--event-category <category>', 'Management, Data, NetworkActivity or Insight')
    .option('--principal-arn <arn>', 'userIdentity.arn (repeatable)', collect)
    .option('--user-name <name>', 'userIdentity.userName (repeatable)', collect)
    .option('--principal-id <id>', 'userIdentity.principalId (repeatable)', collect)
    .option('--user-type <type>', 'userIdentity.type: Root, IAMUser, AssumedRole, ... (repeatable)', collect)
    .option('--session-issuer-arn <arn>', 'role ARN behind an assumed-role session (repeatable)', collect)
    .option('--session-issuer-name <name>', 'role name behind an assumed-role session (repeatable)', collect)
    .option('--user-agent <substring>', 'user agent substring, case-insensitive')
    .option('--resource-type <type>', 'resource type, e.g. AWS::S3::Bucket (repeatable)', collect)
    .option('--field <path=value>', 'free-form field filter, e.g. requestParameters.bucketName=logs-1 (repeatable)', parseFieldFilter);
}

export interface FilterFlags {
  account?: string[];
  region?: string[];
  from?: string;
  to?: string;
  eventName?: string[];
  eventSource?: string[];
  user?: string[];
  accessKeyId?: string[];
  sourceIp?: string[];
  errorCode?: string[];
  errorsOnly?: boolean;
  readOnly?: boolean;
  resource?: string[];
  text?: string;
  eventId?: string[];
  eventType?: string[];
  eventCategory?: string;
  principalArn?: string[];
  userName?: string[];
  principalId?: string[];
  userType?: string[];
  sessionIssuerArn?: string[];
  sessionIssuerName?: string[];
  userAgent?: string;
  resourceType?: string[];
  field?: Record<string, string[]>;
}

/** SearchRequest field -> the flag that sets it, so validation errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  accounts: '--account',
  regions: '--region',
  from: '--from',
  to: '--to',
  eventNames: '--event-name',
  eventSources: '--event-source',
  users: '--user',
  accessKeyIds: '--access-key-id',
  sourceIps: '--source-ip',
  errorCodes: '--error-code',
  errorsOnly: '--errors-only',
  readOnly: '--read-only',
  resourceArns: '--resource',
  resourceNames: '--resource',
  text: '--text',
  eventIds: '--event-id',
  eventTypes: '--event-type',
  eventCategory: '--event-category',
  principalArns: '--principal-arn',
  userNames: '--user-name',
  principalIds: '--principal-id',
  userTypes: '--user-type',
  sessionIssuerArns: '--session-issuer-arn',
  sessionIssuerNames: '--session-issuer-name',
  userAgent: '--user-agent',
  resourceTypes: '--resource-type',
  fields: '--field',
  pageSize: '--limit',
};

export function filtersFromFlags(f: FilterFlags): Record<string, unknown> {
  const arns = f.resource?.filter((r) => r.startsWith('arn:'));
  const names = f.resource?.filter((r) => !r.startsWith('arn:'));
  const out: Record<string, unknown> = {
    accounts: f.account,
    regions: f.region,
    from: f.from,
    to: f.to,
    eventNames: f.eventName,
    eventSources: f.eventSource,
    users: f.user,
    accessKeyIds: f.accessKeyId,
    sourceIps: f.sourceIp,
    errorCodes: f.errorCode,
    errorsOnly: f.errorsOnly ? true : undefined,
    readOnly: f.readOnly,
    resourceArns: arns && arns.length > 0 ? arns : undefined,
    resourceNames: names && names.length > 0 ? names : undefined,
    text: f.text,
    eventIds: f.eventId,
    eventTypes: f.eventType,
    eventCategory: f.eventCategory,
    principalArns: f.principalArn,
    userNames: f.userName,
    principalIds: f.principalId,
    userTypes: f.userType,
    sessionIssuerArns: f.sessionIssuerArn,
    sessionIssuerNames: f.sessionIssuerName,
    userAgent: f.userAgent,
    resourceTypes: f.resourceType,
    fields: f.field,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Rewrites "accounts.0: ..." into "--account: ..." and usage-classifies validation failures. */
export function withFlagNames(err: unknown): unknown {
  if (errorCodeOf(err) !== 'VALIDATION_FAILED') return err;
  const message = errorMessageOf(err);
  const m = /^([A-Za-z]+)((?:\.[^:\s]*)?): (.*)$/s.exec(message);
  const flag = m ? FLAG_OF[m[1] as string] : undefined;
  if (!m || !flag) return err;
  // list indexes mean nothing to a flag user; a --field path does
  const detail = m[1] === 'fields' && m[2] ? ` ${(m[2] as string).slice(1)}` : '';
  return new TrailscopeError('VALIDATION_FAILED', `${flag}${detail}: ${m[3]}`, { cause: err, context: { flag } });
}

export function parsePortFlag(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return Number(value);
}
