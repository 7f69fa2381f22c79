import { z } from 'zod';
import { AggSpecSchema, AggregationRequestSchema, SearchRequestSchema } from '@trailscope/query';
import { FINDING_STATUSES, FindingStatusChangeSchema, FindingsRequestSchema } from '@trailscope/detect';
import { EXPORT_FORMATS, FilesRequestSchema } from '@trailscope/evidence';
import { FILE_STATUSES } from '@trailscope/indexer';
import { CreateKeySchema } from './keys/key-store';

const ErrorResponse = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    requestId: z.string().describe('also in the x-request-id header; the server log keeps the detail under it'),
  }),
});
const Event = z.looseObject({
  id: z.string(),
  eventTime: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  account: z.string(),
  region: z.string().optional(),
  raw: z.string().optional().describe('the record exactly as delivered (includeRaw)'),
});
const SearchResponse = z.strictObject({
  events: z.array(Event),
  total: z.int(),
  cursor: z.string().optional().describe('pass back as `cursor` with the same filters for the next page; good only for the same API key'),
});
const AggBucket: z.ZodType = z.lazy(() => z.strictObject({ key: z.string(), count: z.int(), aggs: z.record(z.string(), AggResult).optional() }));
const AggResult: z.ZodType = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('terms'), field: z.string(), buckets: z.array(AggBucket), otherCount: z.int() }),
    z.strictObject({ type: z.literal('date_histogram'), interval: z.string(), buckets: z.array(AggBucket) }),
    z.strictObject({ type: z.literal('cardinality'), field: z.string(), value: z.int() }),
  ]),
);
const Finding = z.looseObject({
  id: z.string(),
  ruleId: z.string(),
  ruleTitle: z.string(),
  ruleLevel: z.string(),
  ruleTags: z.array(z.string()),
  ruleVersion: z.string(),
  ruleKind: z.enum(['single', 'correlation', 'new_terms']),
  eventIds: z.array(z.string()).describe('event ids (`GET /v1/events/{eventId}`); at most 100 for correlations'),
  eventCount: z.int(),
  eventTime: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  account: z.string().optional(),
  region: z.string().optional(),
  principal: z.string().optional(),
  sourceIp: z.string().optional(),
  groupKey: z.string().optional(),
  windowStart: z.string().optional(),
  status: z.enum(FINDING_STATUSES),
  statusBy: z.string().optional(),
  statusAt: z.string().optional(),
  statusReason: z.string().optional(),
  source: z.enum(['live', 'backtest']),
  createdAt: z.string(),
});
const FindingsResponse = z.strictObject({ findings: z.array(Finding), total: z.int(), cursor: z.string().optional() });
const LedgerFile = z.looseObject({
  id: z.string(),
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.int().describe('compressed bytes read from S3'),
  sha256: z.string().describe("hex SHA-256 of the uncompressed content (the hash CloudTrail's digest files list); empty for a failed file"),
  account: z.string().optional(),
  region: z.string().optional(),
  orgId: z.string().optional(),
  recordsRead: z.int(),
  documentsCreated: z.int(),
  duplicates: z.int(),
  deadLettered: z.int(),
  conflicts: z.int(),
  firstEventTime: z.string().optional(),
  lastEventTime: z.string().optional(),
  indices: z.array(z.string()).describe('the event indices its events belong to by eventTime'),
  ingestedAt: z.string(),
  status: z.enum(FILE_STATUSES),
  errorCode: z.string().optional(),
  error: z.string().optional(),
});
const FilesResponse = z.strictObject({ files: z.array(LedgerFile), total: z.int(), cursor: z.string().optional() });
const AggregationResponse = z.strictObject({ total: z.int(), aggs: z.record(z.string(), AggResult) });

const COMPONENTS: Record<string, z.ZodType> = {
  SearchRequest: SearchRequestSchema,
  AggregationRequest: AggregationRequestSchema,
  AggSpec: AggSpecSchema as unknown as z.ZodType,
  CreateKeyRequest: CreateKeySchema,
  Event,
  SearchResponse,
  AggregationResponse,
  AggResult,
  AggBucket,
  ErrorResponse,
  FindingsRequest: FindingsRequestSchema,
  FindingStatusChange: FindingStatusChangeSchema,
  Finding,
  FindingsResponse,
  FilesRequest: FilesRequestSchema,
  LedgerFile,
  FilesResponse,
};

function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  for (const s of Object.values(schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  return schemas;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const ERROR_MEANINGS: Record<number, string> = {
  400: 'invalid request: VALIDATION_FAILED, INVALID_CURSOR, or QUERY_TOO_COSTLY (the message names the field and the limit it is over)',
  401: 'UNAUTHORIZED: missing, unknown or revoked API key',
  403: 'FORBIDDEN: the key is scoped and the request reaches outside its scope',
  404: 'NOT_FOUND',
  429: "RATE_LIMITED: the key's request rate or concurrent-request cap was reached; retry after the Retry-After header's seconds",
  503: 'OPENSEARCH_UNAVAILABLE or REDIS_UNAVAILABLE: retryable',
};

/** Error answers of an operation; every route behind an API key can also answer 429. */
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set([...statuses, ...(statuses.includes(401) ? [429] : [])])].map((s) => [String(s), { description: ERROR_MEANINGS[s] ?? 'error', ...json('ErrorResponse') }]),
  );

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(version = '0.1.0'): Record<string, unknown> {
  const searchParams = Object.keys(SearchRequestSchema.shape)
    .filter((k) => k !== 'fields')
    .map((name) => ({ name, in: 'query', required: false, schema: { $ref: `#/components/schemas/SearchRequest/properties/${name}` } }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'trailscope API',
      version,
      description: 'Search CloudTrail events across accounts and regions. Authenticate with `Authorization: Bearer <keyId>.<secret>`.',
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: '<keyId>.<secret> from `trailscope keys create`' } },
    },
    security: [{ apiKey: [] }],
    webhooks: {
      alert: {
        post: {
          summary: 'What a webhook destination of `trailscope alerts` receives (one POST per alert, retried with the same Idempotency-Key)',
          security: [],
          parameters: [
            { name: 'X-Trailscope-Signature', in: 'header', required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' }, description: 'hex HMAC-SHA256 of the exact body with the destination secret' },
            { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' }, description: 'the alert id' },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id', 'kind', 'ruleId', 'ruleTitle', 'level', 'tags', 'findingId', 'findingUrl', 'eventTime', 'eventIds', 'count', 'more'],
                  properties: {
                    id: { type: 'string', description: 'alert id (the Idempotency-Key); a summary has the id of its alert plus "-summary"' },
                    kind: { enum: ['alert', 'summary'], description: 'summary: sent when a throttling window ends with more matches than its first' },
                    ruleId: { type: 'string' },
                    ruleTitle: { type: 'string' },
                    level: { type: 'string' },
                    tags: { type: 'array', items: { type: 'string' } },
                    findingId: { type: 'string' },
                    findingUrl: { type: 'string', description: '<apiUrl>/v1/findings/<findingId>' },
                    eventTime: { type: 'string', format: 'date-time' },
                    eventIds: { type: 'array', items: { type: 'string' }, maxItems: 10 },
                    account: { type: 'string' },
                    region: { type: 'string' },
                    principal: { type: 'string' },
                    sourceIp: { type: 'string' },
                    groupKey: { type: 'string', description: 'throttled rules: field=value pairs of the group' },
                    windowStart: { type: 'string', format: 'date-time' },
                    count: { type: 'integer', description: 'matches of the group in the window so far' },
                    more: { type: 'integer', description: 'count - 1' },
                  },
                },
              },
            },
          },
          responses: { '200': { description: 'any 2xx: delivered' }, '429': { description: 'retried with backoff' }, '503': { description: 'any 5xx: retried with backoff' }, '400': { description: 'any other 4xx: dead-lettered, not retried' } },
        },
      },
    },
    paths: {
      '/v1/events': {
        get: {
          summary: 'Search events (filters as query parameters; repeat a parameter for a list; field=path=value)',
          parameters: [...searchParams, { name: 'field', in: 'query', required: false, schema: { type: 'array', items: { type: 'string' } } }],
          responses: { '200': { description: 'a page of events', ...json('SearchResponse') }, ...errors(400, 401, 403, 503) },
        },
        post: {
          summary: 'Search events',
          requestBody: { required: true, ...json('SearchRequest') },
          responses: { '200': { description: 'a page of events', ...json('SearchResponse') }, ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/events/{eventId}': {
        get: {
          summary: 'One event by eventID',
          parameters: [
            { name: 'eventId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'includeRaw', in: 'query', required: false, schema: { type: 'boolean' } },
          ],
          responses: { '200': { description: 'the event', content: { 'application/json': { schema: { type: 'object', properties: { event: ref('Event') } } } } }, ...errors(401, 404) },
        },
      },
      '/v1/aggregations': {
        post: {
          summary: 'Counts by keyword field (top N), over time, and distinct counts, with the search filters',
          requestBody: { required: true, ...json('AggregationRequest') },
          responses: { '200': { description: 'aggregation results', ...json('AggregationResponse') }, ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/findings': {
        get: {
          summary: 'Detection findings, newest first (filters as query parameters; repeat a parameter for a list)',
          parameters: Object.keys(FindingsRequestSchema.shape).map((name) => ({ name, in: 'query', required: false, schema: { $ref: `#/components/schemas/FindingsRequest/properties/${name}` } })),
          responses: { '200': { description: 'a page of findings', ...json('FindingsResponse') }, ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/findings/{id}': {
        get: {
          summary: 'One finding',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'the finding', content: { 'application/json': { schema: { type: 'object', properties: { finding: ref('Finding') } } } } }, ...errors(400, 401, 404) },
        },
      },
      '/v1/findings/{id}/status': {
        post: {
          summary: 'Acknowledge, close or reopen a finding; who is the API key',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, ...json('FindingStatusChange') },
          responses: { '200': { description: 'the updated finding', content: { 'application/json': { schema: { type: 'object', properties: { finding: ref('Finding') } } } } }, ...errors(400, 401, 404) },
        },
      },
      '/v1/files': {
        get: {
          summary:
            'The file ledger: each ingested log file (bucket, key, etag, SHA-256, records read, documents created, duplicates, dead-lettered, conflicts, first/last eventTime, status), by key; unrestricted keys only: a key limited to accounts or regions is refused with 403 (lists: repeat a parameter or separate with commas)',
          parameters: Object.keys(FilesRequestSchema.shape).map((name) => ({ name, in: 'query', required: false, schema: { $ref: `#/components/schemas/FilesRequest/properties/${name}` } })),
          responses: { '200': { description: 'a page of ledger entries', ...json('FilesResponse') }, ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/export': {
        get: {
          summary:
            'The matching events the key may see, oldest first, streamed (chunked): ndjson (raw records byte for byte), csv (the columns of the CloudTrail Event history download), cloudtrail (a tar archive: the .json.gz log files in CloudTrail\'s key layout, then manifest.json)',
          parameters: [
            { name: 'format', in: 'query', required: true, schema: { type: 'string', enum: [...EXPORT_FORMATS] } },
            ...searchParams.filter((p) => !['sort', 'pageSize', 'cursor', 'includeRaw'].includes(p.name)),
          ],
          responses: { '200': { description: 'the export, streamed' }, ...errors(400, 401, 403, 503) },
        },
      },
      '/v1/health': { get: { summary: 'Liveness and OpenSearch reachability', security: [], responses: { '200': { description: 'healthy' }, '503': { description: 'OpenSearch unavailable' } } } },
      '/v1/stats': { get: { summary: 'Ingest lag, queue depth, failed files and index sizes (unrestricted keys only)', responses: { '200': { description: 'statistics' }, ...errors(401, 403) } } },
      '/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/v1/session': { get: { summary: 'The calling API key (id, name) and its scope (accounts, regions); what the web console shows', responses: { '200': { description: 'key and scope' }, ...errors(401) } } },
      '/': {
        post: {
          summary: 'CloudTrail LookupEvents (AWS JSON 1.1, X-Amz-Target: CloudTrail_20131101.LookupEvents, SigV4 with key id/secret)',
          security: [],
          responses: { '200': { description: 'LookupEvents response' }, '400': { description: 'AWS-style error with __type' } },
        },
      },
    },
  };
}
