/**
 * The API of @trailscope/detect: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { FINDING_LEVELS, FINDING_STATUSES, FindingStatusChangeSchema, type FindingDoc } from './finding';
export { singleFindingId } from './finding-id';
export { buildFinding } from './finding-builder';
export { applyFindingsRetention, findingsMappings, installDetectionIndices } from './findings-index';
export { writeFindings, type FindingWrite } from './findings-writer';
export {
  FindingsRequestSchema,
  getFinding,
  listFindings,
  MAX_FINDINGS_PAGE,
  parseFindingsRequest,
  parseStatusChange,
  setFindingStatus,
} from './findings-query';
export { compileRuleSet, ruleSetVersion, storeRuleSet } from './rule-set-store';
export { runBacktest } from './backtest';
export { startDetector } from './live/detector';
export { readRuleDirectory } from './read-rule-directory';
export { withEventFacts } from './event-facts';
