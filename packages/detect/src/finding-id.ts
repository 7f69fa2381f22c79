import { createHash } from 'node:crypto';

const digest = (parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);

/**
 * Finding ids are derived from what the finding is about, never from when or where it was computed, so that a
 * crash, a replayed file or a second evaluator writes the same id and `create` keeps the first copy.
 */
export function singleFindingId(ruleId: string, ruleVersion: string, eventId: string): string {
  return `f-${digest(['single', ruleId, ruleVersion, eventId])}`;
}

/** One finding per (rule version, group, window). */
export function correlationFindingId(ruleId: string, ruleVersion: string, groupKey: string, windowStartMs: number): string {
  return `f-${digest(['correlation', ruleId, ruleVersion, groupKey, String(windowStartMs)])}`;
}

/** One finding per first occurrence: the event that starts a run of the term. */
export function newTermsFindingId(ruleId: string, ruleVersion: string, eventId: string): string {
  return `f-${digest(['new_terms', ruleId, ruleVersion, eventId])}`;
}
