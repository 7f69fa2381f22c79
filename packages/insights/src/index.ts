/**
 * The API of @trailscope/insights: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { loadInsightsConfig, type InsightsConfig } from './insights-config';
export { CusumDetector, type DetectorEvent } from './cusum-detector';
export { hourBaseline } from './baseline';
export { insightDoc, insightRecord, sharedEventIdOf } from './insight-record';
export { runInsights, type RunInsightsOptions, type RunInsightsResult } from './run-insights';
export { runLiveInsights } from './live-insights';
