import { InvalidArgumentError, Option, type Command } from 'commander';
import { TrailscopeError, errorCodeOf, errorMessageOf } from '@trailscope/model';
import type { SearchFilters } from '@trailscope/query';
import { parseBoolean, parseList } from '../flags/value-parsers';

type Field = keyof SearchFilters;
/** The fields holding an OR-list of strings, the ones a list flag may set. */
type ListField = { [K in Field]-?: NonNullable<SearchFilters[K]> extends string[] ? K : never }[Field];

/**
 * One search filter flag. `value` is commander's placeholder (`<id>`); a row without one is a switch that sets
 * `field` to `set`. Repeatable rows accumulate through `parse(value, previous)`; the others take the last value.
 */
type FilterFlag<F extends Field = Field> = {
  readonly flag: `--${string}`;
  readonly field: F;
  readonly help: string;
  readonly repeatable: boolean;
} & (
  | { readonly value: `<${string}>`; readonly parse: (value: string, previous: SearchFilters[F] | undefined) => SearchFilters[F] }
  | { readonly value?: undefined; readonly set: NonNullable<SearchFilters[F]> }
);

/** A row of any field, distributed so that each row's parser is checked against its own field's type. */
type AnyFilterFlag = { [F in Field]-?: FilterFlag<F> }[Field];

const asIs = (value: string): string => value;

function list<F extends ListField>(flag: `--${string}`, value: `<${string}>`, field: F, help: string): FilterFlag<F> {
  return { flag, value, field, help, repeatable: true, parse: parseList as unknown as (v: string, p: SearchFilters[F] | undefined) => SearchFilters[F] };
}

function single<F extends Field>(flag: `--${string}`, value: `<${string}>`, field: F, help: string, parse: (value: string) => SearchFilters[F]): FilterFlag<F> {
  return { flag, value, field, help, repeatable: false, parse };
}

function parseFieldFilter(value: string, previous: Record<string, string[]> = {}): Record<string, string[]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected PATH=VALUE, e.g. requestParameters.bucketName=logs-1');
  const path = value.slice(0, eq);
  // The value is free text (a policy, a tag): never split on commas.
  return { ...previous, [path]: [...(previous[path] ?? []), value.slice(eq + 1)] };
}

/**
 * Every search filter flag, once: commander options, the filters they produce and the flag named by a validation
 * error are all derived from this table. A new filter is one row here plus its field in `@trailscope/query`'s
 * `searchFilterShape` and its clause in `filterClauses`; every command that calls `addSearchFilterOptions` gets it.
 * The contract's flags come first, then one flag per remaining SearchRequest field.
 */
export const SEARCH_FILTER_FLAGS = [
  list('--account', '<id>', 'accounts', 'recipient account id'),
  list('--region', '<region>', 'regions', 'AWS region'),
  single('--from', '<time>', 'from', 'start of eventTime range: ISO-8601, a date, or back from now (24h, 7d)', asIs),
  single('--to', '<time>', 'to', 'end of eventTime range, inclusive to the millisecond', asIs),
  list('--event-name', '<name>', 'eventNames', 'API action, e.g. DeleteBucket'),
  list('--event-source', '<source>', 'eventSources', 'service, e.g. s3.amazonaws.com'),
  list('--user', '<nameOrArn>', 'users', 'user name, role session name or principal ARN'),
  list('--access-key-id', '<key>', 'accessKeyIds', 'access key id'),
  list('--source-ip', '<ipOrCidr>', 'sourceIps', 'source IP address, CIDR block or service name'),
  list('--error-code', '<code>', 'errorCodes', 'error code'),
  { flag: '--errors-only', field: 'errorsOnly', help: 'only failed calls', repeatable: false, set: true },
  single('--read-only', '<bool>', 'readOnly', 'true: only read-only calls, false: only mutating calls', parseBoolean),
  list('--resource', '<arnOrName>', 'resourceNames', 'resource ARN, or a resource name such as a bucket'),
  single('--text', '<query>', 'text', 'free text over names, identities, errors, addresses and request values', asIs),
  list('--event-id', '<id>', 'eventIds', 'eventID'),
  list('--event-type', '<type>', 'eventTypes', 'AwsApiCall, AwsConsoleSignIn, ...'),
  single('--event-category', '<category>', 'eventCategory', 'Management, Data, NetworkActivity or Insight', (v) => v as SearchFilters['eventCategory']),
  list('--principal-arn', '<arn>', 'principalArns', 'userIdentity.arn'),
  list('--user-name', '<name>', 'userNames', 'userIdentity.userName'),
  list('--principal-id', '<id>', 'principalIds', 'userIdentity.principalId'),
  list('--user-type', '<type>', 'userTypes', 'userIdentity.type: Root, IAMUser, AssumedRole, ...'),
  list('--session-issuer-arn', '<arn>', 'sessionIssuerArns', 'role ARN behind an assumed-role session'),
  list('--session-issuer-name', '<name>', 'sessionIssuerNames', 'role name behind an assumed-role session'),
  single('--user-agent', '<substring>', 'userAgent', 'user agent substring, case-insensitive', asIs),
  list('--resource-type', '<type>', 'resourceTypes', 'resource type, e.g. AWS::S3::Bucket'),
  {
    flag: '--field',
    value: '<path=value>',
    field: 'fields',
    help: 'free-form field filter, e.g. requestParameters.bucketName=logs-1 (repeatable; the value is taken whole, commas included)',
    repeatable: true,
    parse: parseFieldFilter,
  },
] as const satisfies readonly AnyFilterFlag[];

export type SearchFilterFlag = (typeof SEARCH_FILTER_FLAGS)[number];
/** The filters the flags can set: the part of SearchFilters a command line reaches. */
export type FlagFilters = Partial<Pick<SearchFilters, SearchFilterFlag['field']>>;

const LIST_HELP = ' (repeatable, or comma-separated; quote an item containing a comma)';

function optionOf(row: AnyFilterFlag): Option {
  if (row.value === undefined) return new Option(row.flag, row.help);
  const option = new Option(`${row.flag} ${row.value}`, row.repeatable && row.parse === (parseList as unknown) ? row.help + LIST_HELP : row.help);
  return option.argParser(row.parse as (value: string, previous: unknown) => unknown);
}

/** commander's attribute for each row, computed by commander itself so the two can never disagree. */
const ATTRIBUTE_OF = new Map<AnyFilterFlag, string>(SEARCH_FILTER_FLAGS.map((row) => [row, new Option(row.flag).attributeName()]));

/** Adds every search filter flag to `cmd`; read them back with `searchFiltersFrom(cmd.opts())`. */
export function addSearchFilterOptions(cmd: Command): Command {
  for (const row of SEARCH_FILTER_FLAGS) cmd.addOption(optionOf(row));
  return cmd;
}

/** The SearchFilters set on the command line (absent flags absent), ready for `parseSearchRequest`. */
export function searchFiltersFrom(opts: Record<string, unknown>): FlagFilters {
  const out: Record<string, unknown> = {};
  for (const row of SEARCH_FILTER_FLAGS as readonly AnyFilterFlag[]) {
    const value = opts[ATTRIBUTE_OF.get(row) as string];
    if (value === undefined) continue;
    out[row.field] = row.value === undefined ? row.set : value;
  }
  return out as FlagFilters;
}

const FLAG_OF_FIELD: Readonly<Record<string, string>> = Object.fromEntries(SEARCH_FILTER_FLAGS.map((row) => [row.field, row.flag]));

/**
 * A VALIDATION_FAILED error about a filter field, restated with the flag the user typed: the field comes from the
 * error's `context.field` ("accounts.0", "fields.requestParameters.x"), its top segment picks the flag. `extra` maps
 * a command's own request fields (`pageSize` -> `--limit`). Other errors pass through unchanged.
 */
export function withFlagNames(err: unknown, extra: Readonly<Record<string, string>> = {}): unknown {
  if (errorCodeOf(err) !== 'VALIDATION_FAILED') return err;
  const context = (err as { context?: { field?: unknown } }).context;
  const field = typeof context?.field === 'string' ? context.field : undefined;
  if (!field) return err;
  const top = field.split('.', 1)[0] as string;
  const flag = extra[top] ?? FLAG_OF_FIELD[top];
  if (!flag) return err;
  // list indexes mean nothing to a flag user; a --field path does
  const detail = top === 'fields' && field.length > top.length ? ` ${field.slice(top.length + 1).replace(/\.\d+$/, '')}` : '';
  const message = errorMessageOf(err);
  const reason = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return new TrailscopeError('VALIDATION_FAILED', `${flag}${detail}: ${reason}`, { cause: err, context: { field, flag } });
}
