/**
 * The API of @trailscope/model: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes';
export { errorCodeOf, errorMessageOf, isRetryable, TrailscopeError } from './trailscope-error';
export { normalizePrefix, parseLogKey, type SkipReason } from './log-key';
export { assertNamespace, indexNameFor, indexPeriodStart, namesFor, queueNameFor, type IndexPeriod, type Names, type NamesOptions } from './names';
export { FIELDS, type EventDoc } from './event-doc';
