/**
 * The API of @trailscope/parser: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { logSourceFor, type LogSource } from './log-source';
export { MAX_FREE_FORM_LEAF_CHARS, normalize, tryNormalize } from './normalize';
export { newParseStats, parseLogFile, parseLogFileBatches, type ParsedItem } from './parse-log-file';
