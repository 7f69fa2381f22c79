import { classifyBulkItem, classifyBulkResponse } from './bulk-outcome';

describe('classifyBulkItem', () => {
  it.each([
    [{ status: 201 }, 'created'],
    [{ status: 200 }, 'created'],
    [{ status: 409, error: { type: 'version_conflict_engine_exception', reason: 'document already exists' } }, 'duplicate'],
    [{ status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } }, 'retry'],
    [{ status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } }, 'retry'],
    [{ status: 500, error: { type: 'exception', reason: 'boom' } }, 'retry'],
    [{ status: 408, error: { type: 'timeout', reason: 'slow' } }, 'retry'],
    [{ status: 403, error: { type: 'cluster_block_exception', reason: 'index [x] blocked by: [FORBIDDEN/8/index write (api)]' } }, 'retry'],
    [{ status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [eventTime]' } }, 'deadletter'],
    [{ status: 400, error: { type: 'illegal_argument_exception', reason: 'immense term' } }, 'deadletter'],
    [{ status: 413, error: { type: 'content_too_long', reason: 'too big' } }, 'deadletter'],
    [{ status: 404, error: { type: 'index_not_found_exception', reason: 'no such index' } }, 'fatal'],
    [undefined, 'retry'],
  ])('%j -> %s', (item, kind) => {
    expect(classifyBulkItem(item).kind).toBe(kind);
  });

  it('keeps the type, reason and cause of a refusal, bounded in length', () => {
    const outcome = classifyBulkItem({
      status: 400,
      error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [sourceIp] of type [ip]', caused_by: { type: 'illegal_argument_exception', reason: "'x' is not an IP string literal." } },
    });
    expect(outcome).toEqual({
      kind: 'deadletter',
      status: 400,
      type: 'mapper_parsing_exception',
      reason: "mapper_parsing_exception: failed to parse field [sourceIp] of type [ip]: illegal_argument_exception: 'x' is not an IP string literal.",
    });
    const long = classifyBulkItem({ status: 400, error: { type: 't', reason: 'r'.repeat(10_000) } });
    expect(long.kind === 'deadletter' && long.reason.length).toBe(2000);
  });
});

describe('classifyBulkResponse', () => {
  it('classifies each item in request order', () => {
    const body = {
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } },
        { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
        { create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad' } } },
      ],
    };
    expect(classifyBulkResponse(body, 4).map((o) => o.kind)).toEqual(['created', 'duplicate', 'retry', 'deadletter']);
  });

  it('takes errors:false as all created', () => {
    expect(classifyBulkResponse({ errors: false, items: [{ create: { status: 201 } }, { create: { status: 201 } }] }, 2).map((o) => o.kind)).toEqual(['created', 'created']);
  });

  it('retries everything when the items cannot be matched to the request', () => {
    expect(classifyBulkResponse({ errors: true, items: [{ create: { status: 201 } }] }, 3).map((o) => o.kind)).toEqual(['retry', 'retry', 'retry']);
    expect(classifyBulkResponse({}, 2).map((o) => o.kind)).toEqual(['retry', 'retry']);
  });
});
