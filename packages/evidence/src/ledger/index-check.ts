import type { Names } from '@trailscope/model';
import { TrailscopeError } from '@trailscope/model';
import { isAccounted, type FileLedgerEntry } from '@trailscope/indexer';
import { errorFacts, toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import type { Finding } from '../digest/finding';

export interface IndexTarget {
  client: OpenSearchClient;
  names: Pick<Names, 'filesIndex' | 'eventsAlias'>;
}

/** A log file a verified digest lists, after its S3 copy was hashed. */
export interface ListedFile {
  bucket: string;
  key: string;
  digestKey: string;
  account: string;
  region: string;
  /** The hash the digest lists (lower-case hex). */
  expected: string;
  /** The hash of the object in S3 now; undefined when it is missing or unreadable. */
  s3Sha256?: string;
}

/** Files looked up in the ledger per request: one terms query, one aggregation. */
const BATCH = 256;

/**
 * The ledger half of `validate --index`: each listed file is in the ledger with the hash its digest lists, every
 * one of its records accounted for, and as many documents in the event indices as the ledger says it created.
 * Lookups are batched so that thousands of files cost tens of requests.
 */
export class IndexCheck {
  private pending: ListedFile[] = [];
  private flushing: Promise<void> = Promise.resolve();
  checked = 0;
  indexed = 0;

  constructor(
    private readonly target: IndexTarget,
    private readonly report: (f: Finding) => Promise<void>,
  ) {}

  /** Makes the ledger's latest writes visible; TEMPLATE_MISSING when there is no ledger in this namespace. */
  async prepare(): Promise<void> {
    const index = this.target.names.filesIndex;
    try {
      await this.target.client.transport.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_refresh` });
    } catch (err) {
      if (errorFacts(err).statusCode === 404) {
        throw new TrailscopeError('TEMPLATE_MISSING', `file ledger ${index} does not exist: run \`trailscope setup\` (and ingest) in this namespace first`, { context: { index } });
      }
      throw toOpenSearchError(err, `refreshing the file ledger ${index}`);
    }
  }

  async add(file: ListedFile): Promise<void> {
    this.pending.push(file);
    if (this.pending.length >= BATCH) await this.flush();
  }

  /** Checks what is buffered; batches run one after another, so findings keep their order. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const run = this.flushing.then(() => (batch.length > 0 ? this.checkBatch(batch) : undefined));
    this.flushing = run.catch(() => undefined);
    await run;
  }

  private async checkBatch(batch: ListedFile[]): Promise<void> {
    const entries = await ledgerEntries(this.target, batch);
    const byFile = new Map<string, FileLedgerEntry[]>();
    for (const e of entries) {
      const id = `${e.bucket}/${e.key}`;
      const list = byFile.get(id);
      if (list) list.push(e);
      else byFile.set(id, [e]);
    }
    const matches = new Map<ListedFile, FileLedgerEntry>();
    for (const f of batch) {
      const match = (byFile.get(`${f.bucket}/${f.key}`) ?? []).find((e) => e.sha256 === f.expected);
      if (match) matches.set(f, match);
    }
    const docs = await documentCounts(this.target, [...matches.values()]);
    for (const f of batch) {
      this.checked += 1;
      const where = { bucket: f.bucket, key: f.key, digestKey: f.digestKey, account: f.account, region: f.region };
      const versions = byFile.get(`${f.bucket}/${f.key}`) ?? [];
      const match = matches.get(f);
      if (versions.length === 0) {
        await this.report({ code: 'LOG_FILE_NOT_INDEXED', ...where, message: 'listed in a valid digest, absent from the file ledger: its events were never indexed' });
        continue;
      }
      if (!match) {
        const latest = versions.reduce((a, b) => (a.ingestedAt >= b.ingestedAt ? a : b));
        await this.report({
          code: 'LOG_FILE_CHANGED_SINCE_INDEXED',
          ...where,
          expected: f.expected,
          actual: latest.sha256,
          message: `the file ledger holds another SHA-256 for it (etag ${latest.etag}, ingested ${latest.ingestedAt}, status ${latest.status}): what was indexed is not what its digest lists`,
        });
        continue;
      }
      if (f.s3Sha256 !== undefined && f.s3Sha256 !== f.expected) {
        await this.report({
          code: 'LOG_FILE_CHANGED_SINCE_INDEXED',
          ...where,
          expected: f.expected,
          actual: f.s3Sha256,
          message: `changed in S3 since it was indexed (ingested ${match.ingestedAt}): the index holds the content its digest lists, S3 no longer does`,
        });
        continue;
      }
      const stored = docs.get(match.id) ?? 0;
      const problem =
        match.status !== 'indexed'
          ? `its ledger status is ${match.status}${match.error ? ` (${match.error})` : ''}`
          : !isAccounted(match)
            ? `${match.recordsRead} records read, ${match.documentsCreated + match.duplicates + match.deadLettered + match.conflicts} accounted for (created, duplicates, dead-lettered, conflicts)`
            : stored < match.documentsCreated
              ? `the ledger says ${match.documentsCreated} documents were created from it, the event indices hold ${stored}`
              : undefined;
      if (problem) {
        await this.report({ code: 'LOG_FILE_PARTIALLY_INDEXED', ...where, message: `not all of its records are in the index: ${problem}` });
        continue;
      }
      this.indexed += 1;
    }
  }
}

async function ledgerEntries(target: IndexTarget, files: ListedFile[]): Promise<FileLedgerEntry[]> {
  const keys = [...new Set(files.map((f) => f.key))];
  const out: FileLedgerEntry[] = [];
  for await (const entry of ledgerEntriesMatching(target, [{ terms: { key: keys } }])) out.push(entry);
  return out;
}

/** The ledger entries matching every filter, page by page in id order. */
async function* ledgerEntriesMatching(target: IndexTarget, filter: object[]): AsyncGenerator<FileLedgerEntry> {
  const index = target.names.filesIndex;
  let after: unknown[] | undefined;
  for (;;) {
    let hits: Array<{ _source: FileLedgerEntry; sort: unknown[] }>;
    try {
      const res = await target.client.transport.request({
        method: 'POST',
        path: `/${encodeURIComponent(index)}/_search`,
        body: {
          size: 1000,
          query: { bool: { filter } },
          sort: [{ id: { order: 'asc' } }],
          ...(after ? { search_after: after } : {}),
        },
      });
      hits = (res.body as { hits: { hits: typeof hits } }).hits.hits;
    } catch (err) {
      throw toOpenSearchError(err, `reading the file ledger ${index}`);
    }
    yield* hits.map((h) => h._source);
    if (hits.length < 1000) return;
    after = hits[hits.length - 1]?.sort;
  }
}

/** Documents in the event indices per ledger entry (by the bucket, key and etag every document records). */
async function documentCounts(target: IndexTarget, entries: FileLedgerEntry[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (entries.length === 0) return counts;
  const alias = target.names.eventsAlias;
  const aggs: Record<string, unknown> = {};
  entries.forEach((e, i) => {
    aggs[`f${i}`] = { filter: { bool: { filter: [{ term: { 'ingest.bucket': e.bucket } }, { term: { 'ingest.key': e.key } }, { term: { 'ingest.etag': e.etag } }] } } };
  });
  try {
    const res = await target.client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(alias)}/_search`,
      body: { size: 0, query: { terms: { 'ingest.key': [...new Set(entries.map((e) => e.key))] } }, aggs },
    });
    const got = (res.body as { aggregations?: Record<string, { doc_count: number }> }).aggregations ?? {};
    entries.forEach((e, i) => counts.set(e.id, got[`f${i}`]?.doc_count ?? 0));
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return counts;
    throw toOpenSearchError(err, `counting the documents of ledger files in ${alias}`);
  }
  return counts;
}

/** The ledger entries of one account/region's log folder, page by page. */
export function ledgerEntriesUnder(target: IndexTarget, bucket: string, root: string): AsyncGenerator<FileLedgerEntry> {
  return ledgerEntriesMatching(target, [{ term: { bucket } }, { prefix: { key: root } }]);
}
