import { z } from 'zod';

export const FINDING_STATUSES = ['open', 'acknowledged', 'closed'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Sigma levels, lowest first. */
export const FINDING_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

export type RuleKind = 'single' | 'correlation' | 'new_terms';

/** Correlation findings list at most this many event ids; `eventCount` keeps the full number. */
export const MAX_FINDING_EVENT_IDS = 100;

/** A finding as stored in the findings index (and returned by the CLI and the HTTP API). */
export interface FindingDoc {
  /** Deterministic (finding-id.ts): a replay writes the same id, so `create` never duplicates. */
  id: string;
  ruleId: string;
  ruleTitle: string;
  ruleLevel: string;
  ruleTags: string[];
  ruleVersion: string;
  ruleKind: RuleKind;
  /** Document ids of the events (`trailscope get` takes them); capped for correlations. */
  eventIds: string[];
  eventCount: number;
  /** eventTime of the (first) event. */
  eventTime: string;
  firstSeen: string;
  lastSeen: string;
  /** Present when every event of the finding belongs to one account (and region): what scoped keys filter on. */
  account?: string;
  region?: string;
  principal?: string;
  sourceIp?: string;
  /** Correlations: the group-by values; new terms: the term values. `field=value` pairs joined by `, `. */
  groupKey?: string;
  /** Start of the correlation window (ISO-8601). */
  windowStart?: string;
  status: FindingStatus;
  statusBy?: string;
  statusAt?: string;
  statusReason?: string;
  /** `live`: written by detection on ingest; `backtest`: by `rules backtest --record`. */
  source: 'live' | 'backtest';
  createdAt: string;
}

export const FindingStatusChangeSchema = z.strictObject({
  status: z.enum(FINDING_STATUSES),
  by: z.string().trim().min(1, 'must not be empty').max(256).optional(),
  reason: z.string().trim().max(2048).optional(),
});
export type FindingStatusChange = z.output<typeof FindingStatusChangeSchema>;
