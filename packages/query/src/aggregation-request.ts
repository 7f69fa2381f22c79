import { z } from 'zod';
import { searchFilterShape } from './search-filters';
import { aggregatableField, aggregatableFieldNames } from './fields';
import { validationErrorFrom } from './zod-error';

export const MAX_AGG_DEPTH = 3;
export const MAX_TERMS_SIZE = 1000;

/** Fixed intervals (`30m`, `1h`, `7d`) or calendar units (`week`/`1w`, `month`/`1M`, `quarter`, `year`). */
export const CALENDAR_INTERVALS: Record<string, string> = {
  minute: 'minute',
  hour: 'hour',
  day: 'day',
  week: 'week',
  '1w': 'week',
  month: 'month',
  '1M': 'month',
  quarter: 'quarter',
  '1q': 'quarter',
  year: 'year',
  '1y': 'year',
};
export const FIXED_INTERVAL_RE = /^([1-9]\d{0,5})(ms|s|m|h|d)$/;

const AggName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'aggregation names are letters, digits, "_" or "-"');
const AggField = z
  .string()
  .refine((n) => aggregatableField(n) !== undefined, `must be a keyword field: ${aggregatableFieldNames().join(', ')}`)
  .describe(`a keyword field: ${aggregatableFieldNames().join(', ')}`);
const Interval = z
  .string()
  .refine(
    (v) => FIXED_INTERVAL_RE.test(v) || Object.prototype.hasOwnProperty.call(CALENDAR_INTERVALS, v),
    'must be a fixed interval such as 5m, 1h, 1d or a calendar unit: week, month, quarter, year',
  );

export interface TermsAggSpec {
  type: 'terms';
  field: string;
  size: number;
  aggs?: Record<string, AggSpec>;
}
export interface DateHistogramAggSpec {
  type: 'date_histogram';
  interval: string;
  aggs?: Record<string, AggSpec>;
}
export interface CardinalityAggSpec {
  type: 'cardinality';
  field: string;
}
export type AggSpec = TermsAggSpec | DateHistogramAggSpec | CardinalityAggSpec;

type AggSpecInput =
  | { type: 'terms'; field: string; size?: number; aggs?: Record<string, AggSpecInput> }
  | { type: 'date_histogram'; interval: string; aggs?: Record<string, AggSpecInput> }
  | { type: 'cardinality'; field: string };

export const AggSpecSchema: z.ZodType<AggSpec, AggSpecInput> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('terms'),
      field: AggField,
      size: z.int().min(1).max(MAX_TERMS_SIZE).default(10).describe('top N buckets'),
      aggs: z.record(AggName, AggSpecSchema).optional().describe('sub-aggregations per bucket'),
    }),
    z.strictObject({
      type: z.literal('date_histogram'),
      interval: Interval,
      aggs: z.record(AggName, AggSpecSchema).optional(),
    }),
    z.strictObject({ type: z.literal('cardinality'), field: AggField.describe('distinct values counted (approximate above 3000)') }),
  ]),
);

function depthOf(aggs: Record<string, AggSpec> | undefined): number {
  if (!aggs) return 0;
  let max = 0;
  for (const spec of Object.values(aggs)) max = Math.max(max, 1 + (spec.type === 'cardinality' ? 0 : depthOf(spec.aggs)));
  return max;
}

export const AggregationRequestSchema = z
  .strictObject({
    ...searchFilterShape,
    aggs: z
      .record(AggName, AggSpecSchema)
      .refine((a) => Object.keys(a).length >= 1 && Object.keys(a).length <= 10, 'must name 1 to 10 aggregations'),
  })
  .refine((r) => depthOf(r.aggs) <= MAX_AGG_DEPTH, { message: `must nest at most ${MAX_AGG_DEPTH} levels`, path: ['aggs'] });

export type AggregationRequest = z.output<typeof AggregationRequestSchema>;
export type AggregationRequestInput = z.input<typeof AggregationRequestSchema>;

export function parseAggregationRequest(input: unknown): AggregationRequest {
  const parsed = AggregationRequestSchema.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error, 'aggregation request');
  return parsed.data;
}
