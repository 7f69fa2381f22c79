/**
 * The API of @trailscope/poller: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { parseDay } from './dates';
export { planStreams, type Plan } from './plan-streams';
export { listStreams } from './list-streams';
export { runIngestPass, type PassStats } from './ingest-pass';
export { runPoller } from './run-poller';
