import { TrailscopeError } from '@trailscope/model';
import { sleep } from '@trailscope/runtime';
import { backoffDelayMs } from './backoff';

export interface RetryPolicyOptions {
  /** How long a batch may keep failing as a whole before it is given up on. */
  maxRetryMs: number;
  /** Attempts of a batch whose items keep being refused transiently while the cluster answers. */
  maxItemAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** The clock the budget is measured with. */
  now: () => Date;
  /** Cuts a wait short (shutdown): the batch then fails with a retryable error instead of waiting on. */
  signal?: AbortSignal;
}

/**
 * The retry budget of one batch: exponential backoff with jitter between attempts, reset by progress, exhausted
 * after `maxRetryMs` of failing (by the injected clock) or `maxItemAttempts` answered attempts.
 */
export class RetryBudget {
  private attempt = 0;
  private failingSinceMs: number | undefined;

  constructor(private readonly options: RetryPolicyOptions) {}

  get attempts(): number {
    return this.attempt;
  }

  /** Some of the batch got through: only a batch that keeps failing as a whole is given up on. */
  progressed(): void {
    this.attempt = 0;
    this.failingSinceMs = undefined;
  }

  /**
   * Counts a failed attempt; throws OPENSEARCH_UNAVAILABLE (retryable) when the budget is spent. `answered`: the
   * cluster answered and refused items transiently (counted against maxItemAttempts), rather than not answering.
   */
  failed(answered: boolean, documents: number, problem: string): void {
    this.attempt++;
    const t = this.options.now().getTime();
    this.failingSinceMs ??= t;
    const elapsedMs = t - this.failingSinceMs;
    if (elapsedMs >= this.options.maxRetryMs || (answered && this.attempt >= this.options.maxItemAttempts)) {
      throw new TrailscopeError(
        'OPENSEARCH_UNAVAILABLE',
        `OpenSearch kept failing a bulk write of ${documents} documents for ${Math.round(elapsedMs / 1000)} s (${this.attempt} attempts): ${problem}`,
        { context: { attempts: this.attempt, documents } },
      );
    }
  }

  /** Waits the backoff of the current attempt; throws OPENSEARCH_UNAVAILABLE when stopped meanwhile. */
  async wait(documents: number, problem: string): Promise<void> {
    const { signal } = this.options;
    await sleep(backoffDelayMs(this.attempt, this.options.backoffBaseMs, this.options.backoffCapMs), signal);
    if (signal?.aborted) {
      throw new TrailscopeError('OPENSEARCH_UNAVAILABLE', `stopped while retrying a bulk write of ${documents} documents: ${problem}`, {
        context: { attempts: this.attempt, documents },
      });
    }
  }
}
