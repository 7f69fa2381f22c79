import * as path from 'node:path';
import { statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { TrailscopeError } from '@trailscope/model';
import { createOpenSearchClient, createS3Client } from '@trailscope/runtime';
import { UNRESTRICTED, localCursorBinding } from '@trailscope/query';
import { EXPORT_FORMATS, directoryTarget, exportEvents, fileTarget, s3Target, streamTarget, type ExportFormat, type OutputTarget } from '@trailscope/evidence';
import { configFrom } from '../context';
import { addSearchFilterOptions, searchFiltersFrom, withFlagNames } from '../search/filter-flags';

interface ExportFlags {
  format: ExportFormat;
  out?: string;
  json?: boolean;
  resume?: boolean;
}

function parseFormat(value: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw new InvalidArgumentError(`expected one of ${EXPORT_FORMATS.join(', ')}`);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** --out as a target: s3://bucket/prefix, a directory (cloudtrail always; others when it exists or ends in /), or a file. */
function targetOf(flags: ExportFlags, s3: () => ReturnType<typeof createS3Client>): { target: OutputTarget; fileName?: string } {
  const out = flags.out;
  if (!out) {
    if (flags.format === 'cloudtrail') throw new TrailscopeError('USAGE', '--format cloudtrail writes many files: give --out DIR or --out s3://bucket/prefix');
    return { target: streamTarget(process.stdout) };
  }
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(out);
  if (m) return { target: s3Target(s3(), m[1] as string, m[2] ?? '') };
  if (out.startsWith('s3:')) throw new TrailscopeError('USAGE', `--out ${out}: expected s3://bucket/prefix`);
  if (flags.format === 'cloudtrail' || out.endsWith('/') || isDirectory(out)) return { target: directoryTarget(path.resolve(out)) };
  return { target: fileTarget(path.resolve(out)) };
}

export function registerExportCommand(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      'Export the events a search matches, oldest first: ndjson (each record byte for byte as delivered), csv (the columns of Event history, safe to open in a spreadsheet) or cloudtrail (.json.gz log files in CloudTrail\'s key layout, which backfill reads back), with a manifest.json holding the query, counts and the SHA-256 of every file written',
    );
  addSearchFilterOptions(cmd)
    .requiredOption('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, parseFormat)
    .option('--out <target>', 'FILE, DIR or s3://bucket/prefix (ndjson and csv go to standard output without it)')
    .option('--resume', 'continue an interrupted export to the same --out with the same filters')
    .option('--json', 'print the manifest as one JSON line when done')
    .action(async (flags: ExportFlags, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      let s3: ReturnType<typeof createS3Client> | undefined;
      const { target, fileName } = targetOf(flags, () => (s3 ??= createS3Client(config)));
      if (flags.resume && !target.readState) throw new TrailscopeError('USAGE', '--resume needs --out FILE or --out DIR');
      const toStdout = target.location === '-';
      const tty = Boolean(process.stderr.isTTY) && !toStdout;
      const bar = tty
        ? new SingleBar({ format: 'export [{bar}] {percentage}% | {value}/{total} events | ETA {eta_formatted}', stream: process.stderr, etaBuffer: 50, fps: 5, hideCursor: true }, Presets.shades_classic)
        : undefined;
      bar?.start(1, 0);
      try {
        const manifest = await exportEvents(client, config.names, {
          format: flags.format,
          filters: searchFiltersFrom(command.opts()) as Record<string, unknown>,
          scope: UNRESTRICTED,
          target,
          fileName,
          resume: flags.resume,
          search: { cursorBinding: localCursorBinding(config.names.namespace) },
          onProgress: (done, total) => {
            bar?.setTotal(Math.max(1, total));
            bar?.update(done);
          },
        });
        bar?.stop();
        const summary = { format: manifest.format, events: manifest.events, files: manifest.files.length, out: target.location };
        if (flags.json && !toStdout) process.stdout.write(`${JSON.stringify({ ...summary, manifest })}\n`);
        else if (!toStdout) process.stderr.write(`exported ${manifest.events} event(s) in ${manifest.files.length} file(s) to ${target.location}\n`);
      } catch (err) {
        bar?.stop();
        throw withFlagNames(err);
      } finally {
        await client.close();
        s3?.destroy();
      }
    });
}
