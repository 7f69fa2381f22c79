import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';

export interface WrittenFile {
  /** Path relative to the output (a file name for a single-file export). */
  path: string;
  events: number;
  bytes: number;
  sha256: string;
}

/** One file being written: hashed and counted as it goes, so the manifest never rereads it. */
export interface FileOutput {
  write(chunk: Buffer | string): Promise<void>;
  close(events: number): Promise<WrittenFile>;
  /** Bytes written so far (for a checkpoint of a single-file export). */
  readonly bytes: number;
  /** Resolves once everything written so far has left this process's buffers. */
  flush(): Promise<void>;
}

/** Where an export goes: a directory, an S3 prefix, or one stream (standard output). */
export interface OutputTarget {
  /** s3://bucket/prefix, the directory, or `-` */
  readonly location: string;
  open(relPath: string, resume?: { bytes: number }): Promise<FileOutput>;
  /** Writes manifest.json (or `<file>.manifest.json`) beside the output; false where there is no beside. */
  writeManifest(json: string): Promise<boolean>;
  /** Removes a file written after the last checkpoint (resume). */
  remove?(relPath: string): Promise<void>;
  list?(): Promise<string[]>;
  /** The checkpoint of an export in progress, for `--resume` (directories and files only). */
  readState?(): Promise<string | undefined>;
  writeState?(json: string | undefined): Promise<void>;
}

function wrapWrite(err: unknown, where: string): TrailscopeError {
  return new TrailscopeError('INTERNAL', `export: cannot write ${where}: ${errorMessageOf(err)}`, { cause: err, context: { output: where } });
}

async function writeTo(stream: NodeJS.WritableStream, chunk: Buffer | string): Promise<void> {
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      stream.off('error', fail);
      resolve();
    };
    const fail = (err: Error) => {
      stream.off('drain', done);
      reject(err);
    };
    stream.once('drain', done);
    stream.once('error', fail);
  });
}

function hashedOutput(relPath: string, sink: NodeJS.WritableStream, finish: () => Promise<void>, start?: { bytes: number; hash: ReturnType<typeof createHash> }): FileOutput {
  const hash = start?.hash ?? createHash('sha256');
  let bytes = start?.bytes ?? 0;
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      hash.update(buf);
      bytes += buf.length;
      await writeTo(sink, buf);
    },
    async flush() {
      // the callback of an empty write runs once every chunk before it has been handed on ('drain' fires only
      // after a write that filled the buffer, so it cannot be waited for here)
      await new Promise<void>((resolve, reject) => sink.write('', (err?: Error | null) => (err ? reject(err) : resolve())));
    },
    async close(events) {
      await finish();
      return { path: relPath, events, bytes, sha256: hash.digest('hex') };
    },
  };
}

export function directoryTarget(dir: string): OutputTarget {
  return {
    location: dir,
    async open(relPath, resume) {
      const file = path.join(dir, relPath);
      await fs.mkdir(path.dirname(file), { recursive: true });
      let start: { bytes: number; hash: ReturnType<typeof createHash> } | undefined;
      if (resume) {
        // keep what the last checkpoint covered, drop what came after it, and hash the kept part again
        await fs.truncate(file, resume.bytes);
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
        start = { bytes: resume.bytes, hash };
      }
      let stream: WriteStream;
      try {
        stream = createWriteStream(file, { flags: resume ? 'a' : 'w' });
        await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
      } catch (err) {
        throw wrapWrite(err, file);
      }
      return hashedOutput(relPath, stream, () => new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(wrapWrite(err, file)) : resolve()))), start);
    },
    async writeManifest(json) {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'manifest.json'), json);
      return true;
    },
    async remove(relPath) {
      await fs.rm(path.join(dir, relPath), { force: true });
    },
    ...stateFile(path.join(dir, '.trailscope-export.json')),
    async list() {
      const out: string[] = [];
      const walk = async (rel: string) => {
        const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          const child = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(child);
          else out.push(child);
        }
      };
      await walk('');
      return out;
    },
  };
}

/** A single file (ndjson or csv to --out FILE); its manifest is `<file>.manifest.json`. */
export function fileTarget(file: string): OutputTarget {
  const dir = directoryTarget(path.dirname(file));
  const name = path.basename(file);
  return {
    location: file,
    open: (_relPath, resume) => dir.open(name, resume),
    async writeManifest(json) {
      await fs.writeFile(`${file}.manifest.json`, json);
      return true;
    },
    ...stateFile(`${file}.trailscope-export.json`),
  };
}

function stateFile(file: string): Pick<OutputTarget, 'readState' | 'writeState'> {
  return {
    async readState() {
      return fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw wrapWrite(err, file);
      });
    },
    async writeState(json) {
      if (json === undefined) {
        await fs.rm(file, { force: true });
        return;
      }
      // write then rename: an interruption mid-write must not leave a torn checkpoint
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(`${file}.tmp`, json);
      await fs.rename(`${file}.tmp`, file);
    },
  };
}

export function streamTarget(stream: NodeJS.WritableStream, name = '-'): OutputTarget {
  return {
    location: name,
    async open(relPath) {
      return hashedOutput(relPath, stream, async () => undefined);
    },
    async writeManifest() {
      return false;
    },
  };
}

/** s3://bucket/prefix: each file a multipart upload streamed as it is written, so its size never sits in memory. */
export function s3Target(s3: S3Client, bucket: string, prefix: string): OutputTarget {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  const keyOf = (rel: string) => (base ? `${base}/${rel}` : rel);
  const put = (key: string, body: PassThrough | string) => new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body }, queueSize: 2 });
  return {
    location: `s3://${bucket}/${base}`,
    async open(relPath) {
      const key = keyOf(relPath);
      const body = new PassThrough();
      const upload = put(key, body);
      const done = upload.done().catch((err: unknown) => {
        throw new TrailscopeError('S3_UNAVAILABLE', `export: upload of s3://${bucket}/${key} failed: ${errorMessageOf(err)}`, { cause: err, context: { bucket, key } });
      });
      // a failed upload stops draining the body; surface its error at close instead of an unhandled rejection now
      done.catch(() => body.destroy());
      return hashedOutput(relPath, body, async () => {
        body.end();
        await done;
      });
    },
    async writeManifest(json) {
      await put(keyOf('manifest.json'), json).done();
      return true;
    },
  };
}
