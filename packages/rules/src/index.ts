export type {
  CompiledRule,
  CorrelationCondition,
  CorrelationRule,
  NewTermsField,
  NewTermsRule,
  RefusedRule,
  RuleBase,
  RuleLevel,
  RuleLoadResult,
  RuleMatch,
  SingleEventRule,
  SkippedRule,
} from './types';
export { RULE_LEVELS } from './types';
export { loadRuleFiles, loadRuleText, MAX_RULE_FILE_BYTES } from './load-rules';
export { evaluateOffline, type OfflineOptions, type OfflineStats } from './evaluate-offline';
export { recordMeta, type EventMeta } from './event-meta';
export {
  conditionHolds,
  correlationGroupKey,
  correlationMatches,
  distinctValues,
  MAX_CORRELATION_EVENT_IDS,
  newTermsKey,
  newTermsMatches,
  type Observation,
} from './stateful';
export { fieldValues, type FieldValue } from './field-values';
export { MAX_CONDITION_DEPTH } from './condition';
export { MAX_YAML_NODES } from './yaml-tree';
