import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { TrailscopeError } from '@trailscope/model';
import { createOpenSearchClient } from '@trailscope/runtime';
import {
  MAX_PAGE_SIZE,
  UNRESTRICTED,
  aggregate,
  count,
  parseAggregationRequest,
  parseSearchRequest,
  localCursorBinding,
  search,
  type AggSpec,
} from '@trailscope/query';
import { configFrom } from '../context';
import { parsePositiveInt } from '../flags/value-parsers';
import { addSearchFilterOptions, searchFiltersFrom, withFlagNames } from '../search/filter-flags';
import { bucketsTable, eventsTable } from '../search/table';
import { createLineWriter } from '../search/stdout';

interface SearchFlags {
  limit: number;
  json?: boolean;
  count?: boolean;
  raw?: boolean;
  sort: 'asc' | 'desc';
  agg?: string;
  top: number;
  histogram?: string;
  distinct?: string;
}

function parseSort(value: string): 'asc' | 'desc' {
  if (value === 'asc' || value === 'desc') return value;
  throw new InvalidArgumentError('expected asc or desc');
}

export function registerSearchCommand(program: Command): void {
  const cmd = program
    .command('search')
    .description('search events across every account and region: OR within a repeated flag, AND across flags');
  addSearchFilterOptions(cmd)
    .option('--limit <n>', 'print at most N events, following cursors as needed', parsePositiveInt, 100)
    .option('--sort <order>', 'eventTime order: desc (newest first) or asc', parseSort, 'desc')
    .option('--json', 'one event per line as JSON (with --count: {"count": N})')
    .option('--raw', 'print each record exactly as delivered, one per line (with --json: add a raw field)')
    .option('--count', 'print the number of matching events')
    .option('--agg <field>', 'count events by a keyword field (top N, see --top)')
    .option('--top <n>', 'number of --agg buckets', parsePositiveInt, 10)
    .option('--histogram <interval>', 'count events over time: 5m, 1h, 1d, week, month (with --agg: split by that field)')
    .option('--distinct <field>', 'count distinct values of a keyword field')
    .action(async (flags: SearchFlags, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      try {
        await runSearch(client, config.names, flags, searchFiltersFrom(command.opts()));
      } catch (err) {
        throw withFlagNames(err, { pageSize: '--limit' });
      } finally {
        await client.close();
      }
    });
}

async function runSearch(
  client: ReturnType<typeof createOpenSearchClient>,
  names: { eventsAlias: string; namespace: string },
  flags: SearchFlags,
  filters: ReturnType<typeof searchFiltersFrom>,
): Promise<void> {
  const out = createLineWriter();
  const modes = [flags.count, flags.agg || flags.histogram, flags.distinct].filter(Boolean).length;
  if (modes > 1) throw new TrailscopeError('USAGE', '--count, --agg/--histogram and --distinct are exclusive');

  if (flags.count) {
    const n = await count(client, names, parseSearchRequest(filters), UNRESTRICTED);
    await out.line(flags.json ? JSON.stringify({ count: n }) : String(n));
    return;
  }

  if (flags.agg || flags.histogram || flags.distinct) {
    let spec: AggSpec;
    if (flags.distinct) spec = { type: 'cardinality', field: flags.distinct };
    else if (flags.histogram) {
      spec = { type: 'date_histogram', interval: flags.histogram };
      if (flags.agg) spec.aggs = { by: { type: 'terms', field: flags.agg, size: flags.top } };
    } else spec = { type: 'terms', field: flags.agg as string, size: flags.top };
    const request = parseAggregationRequest({ ...filters, aggs: { result: spec } });
    const res = await aggregate(client, names, request, UNRESTRICTED);
    const result = res.aggs.result;
    if (!result) throw new TrailscopeError('INTERNAL', 'aggregation result missing');
    if (flags.json) {
      await out.line(JSON.stringify({ total: res.total, ...result }));
    } else if (result.type === 'cardinality') {
      await out.line(String(result.value));
    } else {
      const keyHeader = result.type === 'terms' ? result.field : 'time';
      await out.line(bucketsTable(keyHeader, result.buckets, flags.histogram && flags.agg ? flags.agg : undefined));
      if (result.type === 'terms' && result.otherCount > 0) await out.line(`(${result.otherCount} more in other values)`);
    }
    return;
  }

  let remaining = flags.limit;
  let cursor: string | undefined;
  let printedTable = false;
  do {
    const request = parseSearchRequest({
      ...filters,
      sort: flags.sort,
      pageSize: Math.min(remaining, MAX_PAGE_SIZE),
      includeRaw: Boolean(flags.raw),
      cursor,
    });
    const lastWanted = remaining <= MAX_PAGE_SIZE;
    // the CLI follows its own cursors: bound to this process and namespace, never handed out
    const page = await search(client, names, request, UNRESTRICTED, { paginate: !lastWanted, cursorBinding: localCursorBinding(names.namespace) });
    remaining -= page.events.length;
    cursor = page.cursor;
    if (flags.json) {
      for (const e of page.events) await out.line(JSON.stringify(e));
    } else if (flags.raw) {
      for (const e of page.events) await out.line(e.raw ?? '');
    } else if (page.events.length > 0 || !printedTable) {
      await out.line(eventsTable(page.events));
      printedTable = true;
      if (!cursor || remaining <= 0) process.stderr.write(`${page.total} matching event(s)\n`);
    }
  } while (cursor && remaining > 0 && !out.closed);
}
