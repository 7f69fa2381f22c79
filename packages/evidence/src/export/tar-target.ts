import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { directoryTarget, type OutputTarget } from './output-target';

export interface TarTarget extends OutputTarget {
  /** Removes the spool directory; call once the export ended, whether it succeeded or not. */
  dispose(): Promise<void>;
}

/**
 * The CloudTrail layout of an export as one tar stream (an HTTP answer): each log file is written to a spool
 * directory as `export --out DIR` writes it, then, once closed (its size known, as a tar header needs), appended to
 * the archive and deleted, and `manifest.json` ends the archive. Memory stays flat and the disk holds only the
 * files still open (one per account, region and day being written).
 */
export async function tarTarget(stream: NodeJS.WritableStream, name = 'http'): Promise<TarTarget> {
  const spool = await fs.mkdtemp(path.join(tmpdir(), 'trailscope-export-'));
  const dir = directoryTarget(spool);
  const pack = tarPack();
  const ended = new Promise<void>((resolve, reject) => {
    pack.once('end', () => resolve());
    pack.once('error', reject);
  });
  ended.catch(() => undefined);
  pack.pipe(stream as never);
  // tar entries are written one after another, whatever order the files close in
  let tail: Promise<void> = Promise.resolve();
  const append = (entryName: string, size: number, write: (entry: NodeJS.WritableStream) => Promise<void>): Promise<void> => {
    const run = tail.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ name: entryName, size, mtime: new Date() }, (err) => (err ? reject(err) : resolve()));
          write(entry as unknown as NodeJS.WritableStream).catch(reject);
        }),
    );
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    location: name,
    async open(relPath) {
      const out = await dir.open(relPath);
      return {
        get bytes() {
          return out.bytes;
        },
        write: (chunk) => out.write(chunk),
        flush: () => out.flush(),
        async close(events) {
          const written = await out.close(events);
          const file = path.join(spool, relPath);
          await append(relPath, written.bytes, async (entry) => {
            for await (const chunk of createReadStream(file)) {
              if (!entry.write(chunk as Buffer)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
            }
            entry.end();
          });
          await fs.rm(file, { force: true });
          return written;
        },
      };
    },
    async writeManifest(json) {
      const body = Buffer.from(json, 'utf8');
      await append('manifest.json', body.length, async (entry) => {
        entry.end(body);
      });
      pack.finalize();
      await ended;
      return true;
    },
    async dispose() {
      await fs.rm(spool, { recursive: true, force: true });
    },
  };
}
