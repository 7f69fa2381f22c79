import { errorCodeOf, type ErrorCode } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';

/**
 * Holds new jobs while a service (OpenSearch, S3) is known to be down, so that an outage costs each job at most one
 * attempt instead of burning through all of them and failing files for good; it re-opens as soon as a probe
 * succeeds.
 */
export class ServiceGate {
  private down = false;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly service: string,
    private readonly code: ErrorCode,
    private readonly probe: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly probeMs = 2000,
    private readonly signal?: AbortSignal,
  ) {}

  /** Marks the service down when `err` carries this gate's unavailability code. */
  observe(err: unknown): void {
    if (errorCodeOf(err) === this.code && !this.down) {
      this.down = true;
      this.logger.warn({ service: this.service }, 'service unavailable, holding new jobs until it answers');
    }
  }

  async pass(): Promise<void> {
    if (!this.down) return;
    this.probing ??= this.waitUntilUp().finally(() => {
      this.probing = undefined;
    });
    await this.probing;
  }

  private async waitUntilUp(): Promise<void> {
    const started = Date.now();
    while (this.down && !this.signal?.aborted) {
      try {
        await this.probe();
        this.down = false;
        this.logger.info({ service: this.service, downMs: Date.now() - started }, 'service answers again, resuming jobs');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, this.probeMs));
      }
    }
  }
}
