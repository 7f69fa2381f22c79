import { z } from 'zod';
import { isTimeExpression } from './time-expression';
import { classifySourceIp } from './source-ip';
import { filterFieldPath } from './fields';

const MAX_LIST = 200;

const text = (max = 2048) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** OR-lists: empty lists are rejected rather than read as "no filter" or "match nothing", which would both surprise. */
const list = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1, 'must not be empty; omit the field instead').max(MAX_LIST, `must have at most ${MAX_LIST} values`);

export const AccountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
export const Region = z.string().regex(/^[a-z]{2,}(?:-[a-z0-9]+)+$/, 'must be an AWS region name such as us-east-1');

const TimeExpression = z
  .string()
  .refine(isTimeExpression, 'must be ISO-8601 with a zone (2026-03-01T12:00:00Z), a date, "now" or a duration such as 24h or 7d');

const SourceIp = z
  .string()
  .refine((v) => classifySourceIp(v) !== undefined, 'must be an IPv4/IPv6 address, a CIDR block or a service name such as ec2.amazonaws.com');

const FieldPath = z
  .string()
  .refine(
    (p) => filterFieldPath(p) !== undefined,
    'must be a path below requestParameters, responseElements, additionalEventData or serviceEventDetails, or a keyword field',
  );

export const EVENT_CATEGORIES = ['Management', 'Data', 'NetworkActivity', 'Insight'] as const;

/**
 * The filters every front end shares. OR within a list, AND across fields; each field is optional and an absent
 * field does not filter.
 */
export const searchFilterShape = {
  accounts: list(AccountId).optional().describe('recipient account ids (OR)'),
  regions: list(Region).optional().describe('AWS regions (OR)'),
  from: TimeExpression.optional().describe('start of the eventTime range, inclusive: ISO-8601, a date, or a duration back from now (24h, 7d)'),
  to: TimeExpression.optional().describe('end of the eventTime range, inclusive to the millisecond'),
  eventIds: list(text(128)).optional().describe('eventID or document id'),
  eventNames: list(text(256)).optional(),
  eventSources: list(text(256)).optional(),
  eventTypes: list(text(64)).optional(),
  eventCategory: z.enum(EVENT_CATEGORIES).optional(),
  excludeEventCategories: list(z.enum(EVENT_CATEGORIES)).optional().describe('leave out these categories, e.g. Insight'),
  users: list(text()).optional().describe('a user name, role session name or principal ARN, matched across the identity and its session issuer'),
  principalArns: list(text()).optional().describe('userIdentity.arn'),
  userNames: list(text(256)).optional().describe('userIdentity.userName'),
  principalIds: list(text(256)).optional().describe('userIdentity.principalId'),
  userTypes: list(text(64)).optional().describe('userIdentity.type: Root, IAMUser, AssumedRole, ...'),
  sessionIssuerArns: list(text()).optional().describe('userIdentity.sessionIssuer.arn'),
  sessionIssuerNames: list(text(256)).optional().describe('userIdentity.sessionIssuer.userName (the role name)'),
  accessKeyIds: list(text(128)).optional(),
  sourceIps: list(SourceIp).optional().describe('IP address, CIDR block or service name'),
  userAgent: text(1024).optional().describe('substring of the user agent, case-insensitive'),
  errorCodes: list(text(256)).optional(),
  errorsOnly: z.boolean().optional().describe('true: only failed calls (any errorCode); false: only successful calls'),
  readOnly: z.boolean().optional(),
  resourceArns: list(text()).optional().describe('resources[].ARN'),
  resourceTypes: list(text(256)).optional().describe('resources[].type, e.g. AWS::S3::Bucket'),
  resourceNames: list(text()).optional().describe('a resource ARN or its last segment (bucket name, instance id)'),
  fields: z
    .record(FieldPath, list(z.string().max(4096)))
    .optional()
    .describe('path = value filters, e.g. {"requestParameters.bucketName": ["logs-1"]}'),
  text: text(1024).optional().describe('free text over names, identities, errors, addresses and request/response values'),
};

export const SearchFiltersSchema = z.strictObject(searchFilterShape);
export type SearchFilters = z.output<typeof SearchFiltersSchema>;

/** Keys of the filter part, for hashing requests and for front ends mapping flags and query strings. */
export const SEARCH_FILTER_KEYS = Object.keys(searchFilterShape) as Array<keyof SearchFilters>;
