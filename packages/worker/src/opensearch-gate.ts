import { errorCodeOf } from '@trailscope/model';
import type { Logger, OpenSearchClient } from '@trailscope/runtime';

/**
 * Holds new jobs while OpenSearch is known to be down, so that an outage costs each job at most one attempt instead
 * of burning through all of them; it re-opens as soon as a ping succeeds.
 */
export class OpenSearchGate {
  private down = false;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly client: OpenSearchClient,
    private readonly logger: Logger,
    private readonly probeMs = 2000,
    private readonly signal?: AbortSignal,
  ) {}

  /** Marks OpenSearch down when `err` says it is unavailable. */
  observe(err: unknown): void {
    if (errorCodeOf(err) === 'OPENSEARCH_UNAVAILABLE' && !this.down) {
      this.down = true;
      this.logger.warn({}, 'OpenSearch unavailable, holding new jobs until it answers');
    }
  }

  async pass(): Promise<void> {
    if (!this.down) return;
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    await this.probing;
  }

  private async probe(): Promise<void> {
    const started = Date.now();
    while (this.down && !this.signal?.aborted) {
      try {
        await this.client.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
        this.down = false;
        this.logger.info({ downMs: Date.now() - started }, 'OpenSearch answers again, resuming jobs');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, this.probeMs));
      }
    }
  }
}
