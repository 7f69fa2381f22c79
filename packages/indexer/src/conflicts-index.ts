import type { Config } from '@trailscope/runtime';
import { keptRecordsIndexBody } from './dead-letter-index';

/**
 * A copy of an event whose id is already stored with different content. A changed copy of an audit record is
 * evidence of tampering or of a broken producer, so it is kept whole, with where it came from and what it
 * collides with, instead of being dropped.
 */
export interface ConflictDoc {
  /** The conflict entry's own id (one per copy and file). */
  id: string;
  code: 'EVENT_ID_CONFLICT';
  /** The event id both copies carry (the document id: eventID, or the content hash of records without one). */
  eventId: string;
  reason: string;
  /** This copy, as delivered. */
  raw: string;
  sha256: string;
  bucket: string;
  key: string;
  etag: string;
  /** The stored document this copy collides with. */
  storedIndex: string;
  storedId: string;
  storedSha256: string;
  /** The file the stored copy came from, when it could be read. */
  storedBucket?: string;
  storedKey?: string;
  /** When the conflict was recorded (ISO-8601). */
  at: string;
}

const keyword = { type: 'keyword' } as const;

export function conflictsIndexBody(config: Pick<Config, 'index'>): Record<string, unknown> {
  return keptRecordsIndexBody(config, {
    id: keyword,
    code: keyword,
    eventId: keyword,
    reason: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } },
    sha256: keyword,
    bucket: keyword,
    key: { type: 'keyword', ignore_above: 1024 },
    etag: keyword,
    storedIndex: keyword,
    storedId: keyword,
    storedSha256: keyword,
    storedBucket: keyword,
    storedKey: { type: 'keyword', ignore_above: 1024 },
    at: { type: 'date' },
  });
}

const MAX_SHOWN_VALUE_CHARS = 120;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'absent';
  return text.length > MAX_SHOWN_VALUE_CHARS ? `${text.slice(0, MAX_SHOWN_VALUE_CHARS)}…` : text;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a copy conflicts with the stored one, for the operator (pure): which top-level fields differ, with both
 * eventTimes when those differ (the usual case: the copy went to another period's index).
 */
export function conflictReason(eventId: string, storedIndex: string, storedRaw: string | undefined, raw: string): string {
  const head = `event id ${eventId} is already stored in ${storedIndex} with different content`;
  if (storedRaw === undefined) return `${head}; the stored copy could not be read (its write may have been refused: see trailscope dlq)`;
  const stored = parseObject(storedRaw);
  const copy = parseObject(raw);
  if (!stored || !copy) return `${head}: the raw texts differ`;
  const differing = [...new Set([...Object.keys(stored), ...Object.keys(copy)])].filter(
    (k) => JSON.stringify(stored[k]) !== JSON.stringify(copy[k]),
  );
  if (differing.length === 0) return `${head}: the same fields and values, written differently (key order, spacing or escapes)`;
  const details = differing.includes('eventTime') ? ` (eventTime stored ${shown(stored.eventTime)}, this copy ${shown(copy.eventTime)})` : '';
  return `${head}: ${differing.length === 1 ? 'field' : 'fields'} ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''}${details}`;
}
