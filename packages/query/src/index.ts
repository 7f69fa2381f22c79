/**
 * The API of @trailscope/query: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { AccountId, Region, SEARCH_FILTER_KEYS, type SearchFilters } from './search-filters';
export {
  MAX_PAGE_SIZE,
  parseSearchRequest,
  SearchRequestSchema,
  type SearchRequest,
  type SearchRequestInput,
} from './search-request';
export {
  AggregationRequestSchema,
  AggSpecSchema,
  parseAggregationRequest,
  type AggregationRequestInput,
  type AggSpec,
} from './aggregation-request';
export { assertWithinScope, isUnrestricted, scopeClauses, UNRESTRICTED, type Scope } from './scope';
export { isTimeExpression } from './time-expression';
export { resolveTimeRange, toDsl } from './to-dsl';
export { QUERY_LIMITS } from './query-cost';
export { OPAQUE_ID_PREFIX, type RequestLimits } from './cancellable';
export { deriveCursorKey, localCursorBinding } from './cursor';
export { createPitLimiter } from './pit-limiter';
export { type TypedEvent } from './typed-event';
export { releaseCursor, search, type SearchOptions } from './search';
export { DEFAULT_SCAN_PAGE_SIZE, scanEvents, type ScanHit, type ScanOptions, type ScanPage, type ScanPosition } from './scan';
export { count } from './count';
export { aggregate, type AggBucket } from './aggregate';
export { getEvent } from './get-event';
export { validationErrorFrom } from './zod-error';
