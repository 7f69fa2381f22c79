import { randomBytes } from 'node:crypto';
import { createGzip, type Gzip } from 'node:zlib';
import type { FileOutput, OutputTarget, WrittenFile } from './output-target';

interface OpenFile {
  path: string;
  out: FileOutput;
  gzip: Gzip;
  pump: Promise<void>;
  events: number;
  /** Text not yet handed to gzip: each write to a zlib stream is a round trip to the thread pool, so records go in batches. */
  pending: string;
}

/** Text a file gathers before it goes to gzip. */
const GZIP_BATCH_CHARS = 64 * 1024;

const pad = (n: number) => String(n).padStart(2, '0');

/** What the writer needs of an event: its record as delivered, and what places it in CloudTrail's key layout. */
export interface CloudTrailEvent {
  raw: string;
  eventTime: string;
  account: string;
  region?: string | undefined;
  orgId?: string | undefined;
}

/** CloudTrail's key of a log file for the account/region/day of `e`, named after its first event's minute. */
function keyFor(e: CloudTrailEvent): string {
  const t = new Date(e.eventTime);
  const [y, m, d, hh, mm] = [t.getUTCFullYear(), pad(t.getUTCMonth() + 1), pad(t.getUTCDate()), pad(t.getUTCHours()), pad(t.getUTCMinutes())];
  const region = e.region || 'unknown-region';
  const root = `AWSLogs/${e.orgId ? `${e.orgId}/` : ''}${e.account}/CloudTrail/${region}/${y}/${m}/${d}/`;
  return `${root}${e.account}_CloudTrail_${region}_${y}${m}${d}T${hh}${mm}Z_${randomBytes(8).toString('hex')}.json.gz`;
}

function groupOf(e: CloudTrailEvent): string {
  return `${e.orgId ?? ''}/${e.account}/${e.region ?? ''}/${e.eventTime.slice(0, 10)}`;
}

async function gzipWrite(gzip: Gzip, text: string): Promise<void> {
  if (!gzip.write(text)) await new Promise<void>((resolve) => gzip.once('drain', () => resolve()));
}

/**
 * Events as CloudTrail log files: `{"Records":[...]}` with each record's raw bytes, gzip-compressed, one file per
 * account/region/day at a time in CloudTrail's key layout, so any CloudTrail reader (trailscope's backfill too)
 * takes them back. Files close at `maxEventsPerFile`, and at most `maxOpenFiles` are open at once (the least
 * recently used closes first): memory stays flat however many accounts and regions the export spans.
 */
export class CloudTrailWriter {
  private readonly open = new Map<string, OpenFile>();
  readonly written: WrittenFile[] = [];

  constructor(
    private readonly target: OutputTarget,
    private readonly maxEventsPerFile = 5000,
    private readonly maxOpenFiles = 32,
  ) {}

  async write(e: CloudTrailEvent): Promise<void> {
    const group = groupOf(e);
    let file = this.open.get(group);
    if (file) {
      this.open.delete(group);
      this.open.set(group, file);
    } else {
      if (this.open.size >= this.maxOpenFiles) {
        const [oldest] = this.open.keys();
        if (oldest !== undefined) await this.close(oldest);
      }
      file = await this.start(keyFor(e));
      this.open.set(group, file);
    }
    file.pending += file.events === 0 ? e.raw : `,${e.raw}`;
    file.events += 1;
    if (file.pending.length >= GZIP_BATCH_CHARS) await this.flushPending(file);
    if (file.events >= this.maxEventsPerFile) await this.close(group);
  }

  /** Closes every open file: after it, every event written so far is in a complete file. */
  async closeAll(): Promise<void> {
    for (const group of [...this.open.keys()]) await this.close(group);
  }

  private async start(path: string): Promise<OpenFile> {
    const out = await this.target.open(path);
    const gzip = createGzip();
    const pump = (async () => {
      for await (const chunk of gzip) await out.write(chunk as Buffer);
    })();
    // the pump's failure is awaited at close; keep it from being reported as unhandled meanwhile
    pump.catch(() => undefined);
    return { path, out, gzip, pump, events: 0, pending: '{"Records":[' };
  }

  private async flushPending(file: OpenFile): Promise<void> {
    const text = file.pending;
    file.pending = '';
    await gzipWrite(file.gzip, text);
  }

  private async close(group: string): Promise<void> {
    const file = this.open.get(group);
    if (!file) return;
    this.open.delete(group);
    await this.flushPending(file);
    file.gzip.end(']}');
    await file.pump;
    this.written.push(await file.out.close(file.events));
  }
}
