import { FIELDS } from '@trailscope/model';

type FieldKey = keyof typeof FIELDS;
type FieldPath = (typeof FIELDS)[FieldKey];

/**
 * Fields that terms/cardinality aggregations and `fields` filters may use: keyword-like (keyword, boolean, ip),
 * single-valued per leaf and backed by doc values. `raw`, the free-form roots, dates and long text are not.
 */
const AGGREGATABLE_KEYS = [
  'eventID',
  'eventName',
  'eventSource',
  'eventType',
  'eventCategory',
  'account',
  'region',
  'readOnly',
  'errorCode',
  'userType',
  'principalId',
  'userArn',
  'userName',
  'accessKeyId',
  'sessionIssuerArn',
  'sessionIssuerUserName',
  'mfaAuthenticated',
  'sourceIPAddress',
  'sourceIp',
  'userAgent',
  'resourceArn',
  'resourceType',
  'requestID',
  'managementEvent',
  'recipientAccountId',
  'orgId',
  'vpcEndpointId',
] as const satisfies readonly FieldKey[];

export const AGGREGATABLE_FIELDS: readonly FieldPath[] = AGGREGATABLE_KEYS.map((k) => FIELDS[k]);

/** Free-form objects indexed as flat_object: any dotted path below them can be matched with a term query. */
export const FLAT_OBJECT_ROOTS = [
  FIELDS.requestParameters,
  FIELDS.responseElements,
  FIELDS.additionalEventData,
  FIELDS.serviceEventDetails,
] as const;

const BY_NAME = new Map<string, FieldPath>();
for (const key of AGGREGATABLE_KEYS) {
  BY_NAME.set(FIELDS[key], FIELDS[key]);
  BY_NAME.set(key, FIELDS[key]);
}

/** The indexed path for an aggregatable field given by path (`userIdentity.arn`) or FIELDS key (`userArn`). */
export function aggregatableField(name: string): FieldPath | undefined {
  return BY_NAME.get(name);
}

/** Every name `aggregatableField` accepts, for error messages and the OpenAPI document. */
export function aggregatableFieldNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

const SEGMENT_RE = /^[^\s.]{1,128}$/;

/**
 * The field a `path=value` filter targets: a path below a flat_object root, or an aggregatable field. Returns
 * undefined when the path is neither, so the caller can name it in a validation error.
 */
export function filterFieldPath(path: string): string | undefined {
  const direct = aggregatableField(path);
  if (direct) return direct;
  const root = FLAT_OBJECT_ROOTS.find((r) => path.startsWith(`${r}.`));
  if (!root) return undefined;
  const rest = path.slice(root.length + 1).split('.');
  if (rest.length > 20 || !rest.every((s) => SEGMENT_RE.test(s))) return undefined;
  return path;
}
