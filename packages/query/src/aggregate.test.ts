import { errorCodeOf } from '@trailscope/model';
import { parseAggregationRequest } from './aggregation-request';
import { assertAggCost, readAggs, toAggDsl, type HistogramBounds } from './aggregate';
import { resolveTimeRange } from './to-dsl';

const NOW = Date.parse('2026-03-10T00:00:00.000Z');

function expectCode(code: string, fn: () => unknown, message: RegExp): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(errorCodeOf(err)).toBe(code);
  expect((err as Error).message).toMatch(message);
  return err as Error;
}

function boundsOf(r: { from?: string; to?: string }): HistogramBounds {
  const range = resolveTimeRange(r, NOW);
  return { fromMs: range.fromMs ?? NOW, toMs: range.toMs ?? NOW, extend: range.fromMs !== undefined && range.toMs !== undefined };
}

function expectValidation(fn: () => unknown, message: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(errorCodeOf(err)).toBe('VALIDATION_FAILED');
  expect((err as Error).message).toMatch(message);
}

describe('aggregation requests', () => {
  it('builds nested terms, a histogram and a distinct count', () => {
    const r = parseAggregationRequest({
      from: '7d',
      to: 'now',
      eventNames: ['DeleteBucket'],
      aggs: {
        byAccount: { type: 'terms', field: 'account', aggs: { principals: { type: 'terms', field: 'userArn', size: 10 } } },
        overTime: { type: 'date_histogram', interval: '1d' },
        users: { type: 'cardinality', field: 'userIdentity.arn' },
        weekly: { type: 'date_histogram', interval: 'week' },
      },
    });
    expect(toAggDsl(r.aggs, boundsOf(r))).toEqual({
      byAccount: {
        terms: { field: 'account', size: 10, order: [{ _count: 'desc' }, { _key: 'asc' }] },
        aggs: { principals: { terms: { field: 'userIdentity.arn', size: 10, order: [{ _count: 'desc' }, { _key: 'asc' }] } } },
      },
      overTime: {
        date_histogram: {
          field: 'eventTime',
          fixed_interval: '1d',
          time_zone: 'UTC',
          format: 'strict_date_optional_time',
          min_doc_count: 0,
          hard_bounds: { min: NOW - 7 * 86_400_000, max: NOW + 86_400_000 },
          extended_bounds: { min: NOW - 7 * 86_400_000, max: NOW },
        },
      },
      users: { cardinality: { field: 'userIdentity.arn' } },
      weekly: {
        date_histogram: {
          field: 'eventTime',
          calendar_interval: 'week',
          time_zone: 'UTC',
          format: 'strict_date_optional_time',
          min_doc_count: 0,
          hard_bounds: { min: NOW - 7 * 86_400_000, max: NOW + 604_800_000 },
          extended_bounds: { min: NOW - 7 * 86_400_000, max: NOW },
        },
      },
    });
  });

  it('rejects fields that are not aggregatable, naming the path', () => {
    expectValidation(() => parseAggregationRequest({ aggs: { x: { type: 'terms', field: 'raw' } } }), /^aggs\.x\.field: must be a keyword field/);
    expectValidation(() => parseAggregationRequest({ aggs: { x: { type: 'cardinality', field: 'requestParameters' } } }), /^aggs\.x\.field: /);
  });

  it('rejects bad intervals, sizes, unknown keys, empty and too deep requests', () => {
    expectValidation(() => parseAggregationRequest({ aggs: { x: { type: 'date_histogram', interval: '1x' } } }), /^aggs\.x\.interval: /);
    expectValidation(() => parseAggregationRequest({ aggs: { x: { type: 'terms', field: 'account', size: 0 } } }), /^aggs\.x\.size: /);
    expectValidation(() => parseAggregationRequest({ aggs: { x: { type: 'terms', field: 'account', top: 3 } } }), /top: unknown field/);
    expectValidation(() => parseAggregationRequest({ aggs: {} }), /^aggs: /);
    expectValidation(() => parseAggregationRequest({}), /^aggs: /);
    const deep = { type: 'terms', field: 'account', aggs: { b: { type: 'terms', field: 'region', aggs: { c: { type: 'terms', field: 'eventName', aggs: { d: { type: 'cardinality', field: 'eventID' } } } } } } };
    expectValidation(() => parseAggregationRequest({ aggs: { a: deep } }), /^aggs: must nest at most 3/);
  });

  it('refuses histograms that would make too many buckets, naming the interval and the limit', () => {
    const r = parseAggregationRequest({ from: '2020-01-01', to: '2026-01-01', aggs: { t: { type: 'date_histogram', interval: '1m' } } });
    const err = expectCode('QUERY_TOO_COSTLY', () => toAggDsl(r.aggs, boundsOf(r)), /^aggs\.t\.interval: interval 1m over .* buckets.* at most 10000/);
    expect((err as unknown as { context: object }).context).toEqual({ field: 'aggs.t.interval', limit: 10_000 });
  });

  it('bounds every histogram, also without a time range given', () => {
    const r = parseAggregationRequest({ aggs: { t: { type: 'date_histogram', interval: '1h' } } });
    const dsl = toAggDsl(r.aggs, { fromMs: NOW - 86_400_000, toMs: NOW, extend: false }) as { t: { date_histogram: Record<string, unknown> } };
    expect(dsl.t.date_histogram.hard_bounds).toEqual({ min: NOW - 86_400_000, max: NOW + 3_600_000 });
    expect(dsl.t.date_histogram.extended_bounds).toBeUndefined();
    const fine = parseAggregationRequest({ aggs: { t: { type: 'date_histogram', interval: '1ms' } } });
    expectCode('QUERY_TOO_COSTLY', () => toAggDsl(fine.aggs, { fromMs: NOW - 86_400_000, toMs: NOW, extend: false }), /^aggs\.t\.interval: /);
  });

  it('multiplies bucket counts down each path and sums them over the request', () => {
    const nested = parseAggregationRequest({
      aggs: { a: { type: 'terms', field: 'account', size: 200, aggs: { b: { type: 'terms', field: 'userArn', size: 100 } } } },
    });
    const err = expectCode('QUERY_TOO_COSTLY', () => assertAggCost(nested.aggs), /^aggs\.a\.aggs\.b\.size: size 100 makes about 20200 buckets/);
    expect((err as unknown as { context: object }).context).toEqual({ field: 'aggs.a.aggs.b.size', limit: 10_000 });
    const perDay = parseAggregationRequest({
      from: '2026-01-01',
      to: '2026-03-01',
      aggs: { byUser: { type: 'terms', field: 'userArn', size: 500, aggs: { daily: { type: 'date_histogram', interval: '1d' } } } },
    });
    expectCode('QUERY_TOO_COSTLY', () => toAggDsl(perDay.aggs, boundsOf(perDay)), /^aggs\.byUser\.aggs\.daily\.interval: /);
    const fits = parseAggregationRequest({ aggs: { a: { type: 'terms', field: 'account', size: 50, aggs: { b: { type: 'terms', field: 'userArn', size: 100 } } } } });
    expect(() => assertAggCost(fits.aggs)).not.toThrow();
  });

  it('caps the aggregations of a request at every level', () => {
    const subs = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s${i}`, { type: 'cardinality', field: 'eventName' }]));
    const wide = parseAggregationRequest({
      aggs: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { type: 'terms', field: 'account', size: 1, aggs: subs }])),
    });
    const err = expectCode('QUERY_TOO_COSTLY', () => assertAggCost(wide.aggs), /^aggs: at most 50 aggregations/);
    expect((err as unknown as { context: object }).context).toEqual({ field: 'aggs', limit: 50 });
  });

  it('normalizes results with string keys', () => {
    const r = parseAggregationRequest({
      aggs: {
        ro: { type: 'terms', field: 'readOnly', aggs: { n: { type: 'cardinality', field: 'account' } } },
        t: { type: 'date_histogram', interval: '1h' },
      },
    });
    const raw = {
      ro: { sum_other_doc_count: 2, buckets: [{ key: 1, key_as_string: 'true', doc_count: 5, n: { value: 2 } }] },
      t: { buckets: [{ key: 0, key_as_string: '1970-01-01T00:00:00.000Z', doc_count: 3 }] },
    };
    expect(readAggs(r.aggs, raw)).toEqual({
      ro: { type: 'terms', field: 'readOnly', otherCount: 2, buckets: [{ key: 'true', count: 5, aggs: { n: { type: 'cardinality', field: 'account', value: 2 } } }] },
      t: { type: 'date_histogram', interval: '1h', buckets: [{ key: '1970-01-01T00:00:00.000Z', count: 3 }] },
    });
  });
});
