import { SingleBar, Presets } from 'cli-progress';
import type { Logger } from '@trailscope/runtime';
import type { IngestTally } from './ingest-tally';

export interface Progress {
  update(): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (files done of files queued, events, rate, ETA), periodic structured log lines
 * otherwise. Both go to stderr: stdout carries only the summary.
 */
export function createProgress(tally: IngestTally, logger: Logger, options: { tty: boolean; logEveryMs?: number }): Progress {
  const rate = () => Math.round(tally.eventsIndexed / Math.max(1, tally.elapsedMs / 1000));
  if (options.tty) {
    const bar = new SingleBar(
      {
        format: 'ingest [{bar}] {percentage}% | files {value}/{total} | events {events} | {rate} ev/s | ETA {eta_formatted}',
        stream: process.stderr,
        etaBuffer: 50,
        fps: 5,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    // A total of 0 would show as 100% done before anything is listed.
    bar.start(1, 0, { events: 0, rate: 0 });
    return {
      update() {
        bar.setTotal(Math.max(1, tally.filesQueued));
        bar.update(tally.filesIndexed + tally.filesFailed, { events: tally.eventsIndexed, rate: rate() });
      },
      stop() {
        this.update();
        bar.stop();
      },
    };
  }
  const log = () =>
    logger.info(
      {
        filesQueued: tally.filesQueued,
        filesIndexed: tally.filesIndexed,
        filesFailed: tally.filesFailed,
        eventsIndexed: tally.eventsIndexed,
        eventsPerSecond: rate(),
        partitions: tally.partitions,
      },
      'backfill progress',
    );
  const timer = setInterval(log, options.logEveryMs ?? 10000);
  timer.unref();
  return {
    update() {},
    stop() {
      clearInterval(timer);
    },
  };
}
