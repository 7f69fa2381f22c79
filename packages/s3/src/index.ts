/**
 * The API of @trailscope/s3: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { mergeSkips, type LogObject, type SkipCounts } from './object-ref';
export { classifyObject } from './classify-object';
export { listPages } from './list-level';
export { type LogStream } from './log-stream';
export { discoverStreams } from './discover-streams';
export { dayStartAfter, listStreamDays, STREAM_PAGE_SIZE, type DayBatch } from './list-stream-days';
export { openObject } from './open-object';
