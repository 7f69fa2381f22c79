import { buildOpenApiDocument } from './openapi';

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument() as { components: { schemas: Record<string, Record<string, unknown>> }; paths: Record<string, unknown> };

  it('carries the request schemas, strict like the validators', () => {
    const search = doc.components.schemas.SearchRequest as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(search.additionalProperties).toBe(false);
    expect(Object.keys(search.properties)).toEqual(expect.arrayContaining(['accounts', 'from', 'to', 'fields', 'cursor', 'pageSize']));
    expect(doc.components.schemas.AggregationRequest).toBeDefined();
  });

  it('resolves every $ref inside the document', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      const pointer = r.slice('"$ref":"#/'.length, -1).split('/');
      let node: unknown = doc;
      for (const part of pointer) node = (node as Record<string, unknown>)[part];
      expect({ ref: r, found: node !== undefined }).toEqual({ ref: r, found: true });
    }
  });

  it('documents the body and headers of alert webhooks', () => {
    const hook = (buildOpenApiDocument() as { webhooks: { alert: { post: { parameters: Array<{ name: string }>; requestBody: { content: Record<string, { schema: { required: string[] } }> } } } } }).webhooks.alert.post;
    expect(hook.parameters.map((p) => p.name)).toEqual(['X-Trailscope-Signature', 'Idempotency-Key']);
    expect(hook.requestBody.content['application/json']?.schema.required).toEqual(expect.arrayContaining(['id', 'kind', 'ruleId', 'level', 'findingUrl', 'count', 'more']));
  });

  it('documents every route', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/', '/v1/aggregations', '/v1/events', '/v1/events/{eventId}', '/v1/export', '/v1/files', '/v1/findings', '/v1/findings/{id}', '/v1/findings/{id}/status', '/v1/health', '/v1/openapi.json', '/v1/session', '/v1/stats']);
  });

  it('documents the cost refusal and the rate limit on every keyed search route', () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    for (const [path, method] of [['/v1/events', 'get'], ['/v1/events', 'post'], ['/v1/aggregations', 'post']] as const) {
      const responses = paths[path]?.[method]?.responses ?? {};
      expect([path, method, responses['400']?.description]).toEqual([path, method, expect.stringContaining('QUERY_TOO_COSTLY')]);
      expect([path, method, responses['429']?.description]).toEqual([path, method, expect.stringContaining('RATE_LIMITED')]);
    }
  });
});
