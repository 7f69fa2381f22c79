import { indexNameFor } from '@trailscope/model';
import type { Config } from '@trailscope/runtime';

/**
 * The event index of an eventTime, cached. indexNameFor parses a Date per call; documents of one file share a few
 * UTC days, so the cache is keyed by the date part of canonical `YYYY-MM-DDT...Z` times (the parser's output), and
 * any other spelling goes through indexNameFor.
 */
export function createIndexNameCache(config: Pick<Config, 'namespace' | 'index'>, maxEntries = 1000): (eventTime: string) => string {
  const byDay = new Map<string, string>();
  return (eventTime) => {
    if (eventTime.length < 20 || eventTime.charCodeAt(10) !== 0x54 || !eventTime.endsWith('Z')) {
      return indexNameFor(eventTime, config.namespace, config.index.period);
    }
    const day = eventTime.slice(0, 10);
    let index = byDay.get(day);
    if (index === undefined) {
      index = indexNameFor(eventTime, config.namespace, config.index.period);
      if (byDay.size > maxEntries) byDay.clear();
      byDay.set(day, index);
    }
    return index;
  };
}
