import { z } from 'zod';
import type { SearchRequestInput, TypedEvent } from '@trailscope/query';
import { AwsError } from './aws-error';

export const LOOKUP_ATTRIBUTE_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const;

/** Unknown members are tolerated, as AWS services do, so newer SDKs keep working. */
const LookupRequestSchema = z.looseObject({
  LookupAttributes: z.array(z.looseObject({ AttributeKey: z.string(), AttributeValue: z.string() })).optional(),
  StartTime: z.union([z.number(), z.string()]).optional(),
  EndTime: z.union([z.number(), z.string()]).optional(),
  EventCategory: z.string().optional(),
  MaxResults: z.number().optional(),
  NextToken: z.string().optional(),
});

const EPOCH_RE = /^-?\d+(\.\d+)?$/;
const IsoTimestamp = z.iso.datetime({ offset: true });

/**
 * A LookupEvents timestamp in epoch seconds. AWS JSON 1.1 sends epoch seconds (botocore and the JavaScript SDK
 * send a number, fractions allowed); other clients send the number as a string or an ISO-8601 date-time.
 */
export function epochSeconds(value: number | string | undefined, member: string): number | undefined {
  if (value === undefined) return undefined;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (EPOCH_RE.test(value.trim())) n = Number(value.trim());
  else if (IsoTimestamp.safeParse(value.trim()).success) n = Date.parse(value.trim()) / 1000;
  else n = Number.NaN;
  if (!Number.isFinite(n) || !Number.isFinite(new Date(n * 1000).getTime())) {
    throw new AwsError('SerializationException', `${member} must be a timestamp: epoch seconds or an ISO-8601 date-time, got ${JSON.stringify(value).slice(0, 64)}`);
  }
  return n;
}

/**
 * A LookupEvents request as a SearchRequest (newest first, across every account and region the key may see), or
 * the AWS error AWS itself would answer.
 */
export function lookupToSearch(body: unknown): SearchRequestInput {
  const parsed = LookupRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AwsError('SerializationException', `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  const r = parsed.data;
  const search: SearchRequestInput = { sort: 'desc', includeRaw: true };

  const attributes = r.LookupAttributes ?? [];
  if (attributes.length > 1) {
    throw new AwsError('InvalidLookupAttributesException', 'You can only specify one lookup attribute.');
  }
  for (const { AttributeKey: key, AttributeValue: value } of attributes) {
    if (!(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
      throw new AwsError('InvalidLookupAttributesException', `Invalid AttributeKey ${key}; valid keys: ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}.`);
    }
    if (value.length < 1 || value.length > 2000) {
      throw new AwsError('InvalidLookupAttributesException', `AttributeValue of ${key} must be 1 to 2000 characters.`);
    }
    switch (key) {
      case 'EventId': search.eventIds = [value]; break;
      case 'EventName': search.eventNames = [value]; break;
      case 'EventSource': search.eventSources = [value]; break;
      case 'AccessKeyId': search.accessKeyIds = [value]; break;
      case 'Username': search.users = [value]; break;
      case 'ResourceType': search.resourceTypes = [value]; break;
      case 'ResourceName': search.resourceNames = [value]; break;
      case 'ReadOnly':
        if (value !== 'true' && value !== 'false') {
          throw new AwsError('InvalidLookupAttributesException', 'AttributeValue of ReadOnly must be true or false.');
        }
        search.readOnly = value === 'true';
        break;
    }
  }

  const start = epochSeconds(r.StartTime, 'StartTime');
  const end = epochSeconds(r.EndTime, 'EndTime');
  if (start !== undefined && end !== undefined && start > end) {
    throw new AwsError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
  }
  if (start !== undefined) search.from = new Date(Math.round(start * 1000)).toISOString();
  if (end !== undefined) search.to = new Date(Math.round(end * 1000)).toISOString();

  if (r.EventCategory !== undefined) {
    if (r.EventCategory !== 'insight') {
      throw new AwsError('InvalidEventCategoryException', `EventCategory ${r.EventCategory} is not valid; the only value is insight.`);
    }
    search.eventCategory = 'Insight';
  } else {
    // as in AWS: Insights events only when asked for
    search.excludeEventCategories = ['Insight'];
  }

  const max = r.MaxResults ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw new AwsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  }
  search.pageSize = max;
  if (r.NextToken !== undefined) search.cursor = r.NextToken;
  return search;
}

/** The name AWS reports as Username: the user name, the role session name, or "root". */
export function usernameOf(e: TypedEvent): string | undefined {
  const ui = e.userIdentity;
  if (!ui) return undefined;
  if (ui.userName) return ui.userName;
  if (ui.type === 'Root') return 'root';
  if (ui.type === 'AssumedRole' && ui.arn) return ui.arn.split('/').pop();
  if (ui.principalId?.includes(':')) return ui.principalId.split(':').pop();
  return ui.invokedBy ?? ui.principalId;
}

export interface LookupEvent {
  EventId?: string;
  EventName?: string;
  ReadOnly?: string;
  AccessKeyId?: string;
  EventTime?: number;
  EventSource?: string;
  Username?: string;
  Resources?: Array<{ ResourceType?: string; ResourceName?: string }>;
  CloudTrailEvent?: string;
}

export function toLookupEvent(e: TypedEvent): LookupEvent {
  const out: LookupEvent = {
    EventId: e.eventID ?? e.id,
    EventName: e.eventName,
    EventTime: Date.parse(e.eventTime) / 1000,
    EventSource: e.eventSource,
  };
  if (e.readOnly !== undefined) out.ReadOnly = String(e.readOnly);
  if (e.userIdentity?.accessKeyId) out.AccessKeyId = e.userIdentity.accessKeyId;
  const username = usernameOf(e);
  if (username) out.Username = username;
  out.Resources = (e.resources ?? []).map((r) => {
    const res: { ResourceType?: string; ResourceName?: string } = {};
    if (r.type) res.ResourceType = r.type;
    if (r.ARN) res.ResourceName = r.ARN;
    return res;
  });
  if (e.raw !== undefined) out.CloudTrailEvent = e.raw;
  return out;
}
