import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { indexNameFor } from '@trailscope/model';
import { parseLogFileBatches } from '@trailscope/parser';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BenchContext } from './bench-context';
import { ensureBucket, readManifest, sameManifest, uploadAll, writeManifest } from './bench-buckets';
import { builtCodeHash } from './code-hash';
import { fmtInt, fmtNum } from './format';
import { datasetFiles, datasetOf, datasetTotals, type DatasetSpec } from './trail-dataset';

/** The data set every S3 → OpenSearch scenario shares: a bucket of log files and the same events as EventDocs. */
export interface MainDataset {
  spec: DatasetSpec;
  bucket: string;
  files: number;
  events: number;
  compressedBytes: number;
  uncompressedBytes: number;
  /** `index<TAB>id<TAB>EventDoc JSON` per line, index names for namespace DOCS_NAMESPACE (renamed per run). */
  docsFile: string;
  docsBytes: number;
}

/** Placeholder namespace the docs file is written with; the baseline swaps in its own namespace's prefix. */
export const DOCS_NAMESPACE = 'docsns';
const LAYOUT_VERSION = 'main-v1';

interface Totals {
  files: number;
  events: number;
  compressedBytes: number;
  uncompressedBytes: number;
  docsBytes?: number;
}

/**
 * Uploads the main data set once per stack (a bucket with a matching manifest is reused) and writes, once per
 * checkout, the EventDocs our parser makes of the same files, for the baseline to bulk-index. The etag each doc
 * carries is the MD5 of the body, which is what S3 reports for a single-part upload.
 */
export async function prepareMainDataset(ctx: BenchContext, s3: S3Client): Promise<MainDataset> {
  const { ingestEvents, eventsPerFile } = ctx.options.sizes;
  const spec = datasetOf('main', 21, ingestEvents, eventsPerFile);
  const totals = datasetTotals(spec);
  const bucket = `tsbench-main-${ingestEvents}-${eventsPerFile}`;
  const manifestWanted = { layout: LAYOUT_VERSION, events: totals.events, files: totals.files };
  // the docs are what the parser makes of the files: a parser or model change makes a new cache file
  const docsFile = path.join(ctx.dataDir, `main-${ingestEvents}-${eventsPerFile}.${LAYOUT_VERSION}.${builtCodeHash(['parser', 'model'])}.docs.ndjson`);
  const docsMeta = `${docsFile}.json`;
  const haveBucket = sameManifest(((await readManifest(s3, bucket)) as { wanted?: unknown } | undefined)?.wanted, manifestWanted);
  const haveDocs = existsSync(docsMeta) && existsSync(docsFile);
  if (haveBucket && haveDocs) {
    const t = JSON.parse(readFileSync(docsMeta, 'utf8')) as Totals;
    ctx.log(`main data set: reusing bucket ${bucket} and ${path.basename(docsFile)} (${fmtInt(t.events)} events)`);
    return { spec, bucket, docsFile, docsBytes: t.docsBytes ?? 0, files: t.files, events: t.events, compressedBytes: t.compressedBytes, uncompressedBytes: t.uncompressedBytes };
  }

  ctx.log(`main data set: generating ${fmtInt(totals.events)} events in ${fmtInt(totals.files)} files${haveBucket ? '' : `, uploading to ${bucket}`}${haveDocs ? '' : ', writing EventDocs'}`);
  const t0 = performance.now();
  if (!haveBucket) await ensureBucket(s3, bucket);
  const tmp = `${docsFile}.${process.pid}.tmp`;
  const docs = haveDocs ? undefined : createWriteStream(tmp);
  const sums: Totals = { files: 0, events: 0, compressedBytes: 0, uncompressedBytes: 0, docsBytes: 0 };
  const write = async (line: string) => {
    sums.docsBytes = (sums.docsBytes ?? 0) + Buffer.byteLength(line);
    if (!docs?.write(line)) await once(docs as NodeJS.WritableStream, 'drain');
  };
  async function* files() {
    for (const f of datasetFiles(spec)) {
      sums.files += 1;
      sums.events += f.events;
      sums.compressedBytes += f.body.length;
      sums.uncompressedBytes += f.uncompressedBytes;
      if (docs) {
        const etag = createHash('md5').update(f.body).digest('hex');
        const source = { bucket, key: f.key, etag, kind: 'log' as const, account: f.account, region: f.region };
        for await (const batch of parseLogFileBatches(Readable.from([f.body]), source, { maxObjectBytes: 1 << 30 })) {
          for (const item of batch) {
            if (!item.ok) throw new Error(`parser rejected a record of ${f.key}`);
            await write(`${indexNameFor(item.doc.eventTime, DOCS_NAMESPACE)}\t${item.id}\t${JSON.stringify(item.doc)}\n`);
          }
        }
      }
      yield { key: f.key, body: f.body };
    }
  }
  if (haveBucket) {
    for await (const _f of files()) void _f;
  } else {
    // uploads pull from a sync iterable; buffer one partition's files at a time
    const batch: Array<{ key: string; body: Buffer }> = [];
    for await (const f of files()) {
      batch.push(f);
      if (batch.length >= 64) await uploadAll(s3, bucket, batch.splice(0), 16);
    }
    await uploadAll(s3, bucket, batch.splice(0), 16);
    await writeManifest(s3, bucket, { wanted: manifestWanted, totals: sums });
  }
  if (docs) {
    docs.end();
    await once(docs, 'finish');
    renameSync(tmp, docsFile);
    writeFileSync(docsMeta, JSON.stringify(sums));
  }
  ctx.log(`main data set ready in ${fmtNum((performance.now() - t0) / 1000)} s`);
  const meta = existsSync(docsMeta) ? (JSON.parse(readFileSync(docsMeta, 'utf8')) as Totals) : sums;
  return { spec, bucket, docsFile, docsBytes: meta.docsBytes ?? 0, files: sums.files, events: sums.events, compressedBytes: sums.compressedBytes, uncompressedBytes: sums.uncompressedBytes };
}
