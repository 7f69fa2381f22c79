import { createHash } from 'node:crypto';
import type { Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { alertsIndex, installAlertsIndex } from './alerts-store';

export interface Mute {
  ruleId: string;
  /** A group key (`field=value, ...`) of a throttled rule, or the finding's principal; absent = the whole rule. */
  key?: string;
  untilMs: number;
  reason: string;
  by?: string;
}

const muteId = (ruleId: string, key?: string) => `mute-${createHash('sha256').update(`${ruleId}\0${key ?? ''}`).digest('hex').slice(0, 32)}`;

export async function muteRule(client: OpenSearchClient, names: Pick<Names, 'namespace'>, mute: Mute): Promise<void> {
  await installAlertsIndex(client, names);
  try {
    await client.index({ index: alertsIndex(names), id: muteId(mute.ruleId, mute.key), body: { kind: 'mute', ...mute, at: new Date().toISOString() } as never, refresh: 'wait_for' });
  } catch (err) {
    throw toOpenSearchError(err, `storing a mute in ${alertsIndex(names)}`);
  }
}

/** Mutes in force at `nowMs`. */
export async function activeMutes(client: OpenSearchClient, names: Pick<Names, 'namespace'>, nowMs: number): Promise<Mute[]> {
  try {
    const res = await client.search(
      { index: alertsIndex(names), body: { size: 10_000, query: { bool: { filter: [{ term: { kind: 'mute' } }, { range: { untilMs: { gt: nowMs } } }] } } } as never },
      { ignore: [404] },
    );
    const hits = (res.body as { hits?: { hits: Array<{ _source: Mute }> } }).hits?.hits ?? [];
    return hits.map((h) => h._source);
  } catch (err) {
    throw toOpenSearchError(err, `reading mutes from ${alertsIndex(names)}`);
  }
}

export function isMuted(mutes: Mute[], ruleId: string, keys: Array<string | undefined>): boolean {
  return mutes.some((m) => m.ruleId === ruleId && (m.key === undefined || keys.includes(m.key)));
}
