import { MINUTE_MS } from './baseline';
import { runInsights, type RunInsightsDeps, type RunInsightsResult } from './run-insights';

/**
 * One tick of the live job: the window of `lookbackMinutes` complete minutes ending `delayMinutes` before `nowMs`
 * (CloudTrail delivers most events within 15 minutes). Each tick analyses its whole window again, so the state of
 * every detector is rebuilt rather than stored, and a missed tick is covered by the next one; records found again
 * are the same documents (deterministic ids), so nothing is written twice.
 */
export async function runLiveInsights(deps: RunInsightsDeps, nowMs: number, signal?: AbortSignal): Promise<RunInsightsResult> {
  const toMs = Math.floor((nowMs - deps.insights.delayMinutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const fromMs = toMs - deps.insights.lookbackMinutes * MINUTE_MS;
  return runInsights(deps, { fromMs, toMs, signal });
}
