import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { TrailscopeError } from '@trailscope/model';

/** Per API key budgets (TRAILSCOPE_API_RATE_LIMIT, TRAILSCOPE_API_RATE_WINDOW_MS, TRAILSCOPE_API_MAX_CONCURRENT). */
export interface KeyLimitsConfig {
  /** Requests one key may make per window; 0 turns the rate limit off. */
  ratePerWindow: number;
  windowMs: number;
  /** Requests of one key in flight at once; 0 turns the concurrency limit off. */
  maxConcurrent: number;
}

export const DEFAULT_KEY_LIMITS: KeyLimitsConfig = Object.freeze({ ratePerWindow: 600, windowMs: 60_000, maxConcurrent: 4 });

export interface KeyLimits {
  /**
   * Counts one request of an authenticated key against its rate and concurrency budgets, or throws RATE_LIMITED
   * (with `retry-after` set). The concurrency slot is given back when the response ends or the client goes away.
   */
  admit(request: FastifyRequest, reply: FastifyReply, keyId: string): Promise<void>;
}

const KEY_HEADER = Symbol('trailscope.rateLimitKey');
type KeyedRequest = FastifyRequest & { [KEY_HEADER]?: string };

/**
 * Rate limits from @fastify/rate-limit (its fixed-window store, keyed by API key id, never by address: keys are
 * what callers are accountable by, and many may share a proxy's address). Only authenticated requests are
 * counted, so nobody can spend another key's budget by naming its id. The concurrency limit is a counter per key:
 * the plugin counts requests per window and has no notion of requests in flight.
 */
export function registerKeyLimits(app: FastifyInstance, config: KeyLimitsConfig): KeyLimits {
  app.register(rateLimit, { global: false });
  let check: ReturnType<FastifyInstance['createRateLimit']> | undefined;
  const inFlight = new Map<string, number>();

  const rateCheck = () =>
    (check ??= app.createRateLimit({
      max: config.ratePerWindow,
      timeWindow: config.windowMs,
      keyGenerator: (req) => (req as KeyedRequest)[KEY_HEADER] ?? '',
    }));

  return {
    async admit(request, reply, keyId) {
      if (config.ratePerWindow > 0) {
        (request as KeyedRequest)[KEY_HEADER] = keyId;
        const res = await rateCheck()(request);
        if (!res.isAllowed) {
          reply.header('x-ratelimit-limit', res.max);
          reply.header('x-ratelimit-remaining', res.remaining);
          reply.header('x-ratelimit-reset', res.ttlInSeconds);
          if (res.isExceeded) {
            reply.header('retry-after', res.ttlInSeconds);
            throw new TrailscopeError(
              'RATE_LIMITED',
              `rate: at most ${res.max} requests per ${config.windowMs / 1000} s for this API key; retry in ${res.ttlInSeconds} s`,
              { context: { field: 'rate', limit: res.max, retryAfterSeconds: res.ttlInSeconds } },
            );
          }
        }
      }
      if (config.maxConcurrent > 0) {
        const now = inFlight.get(keyId) ?? 0;
        if (now >= config.maxConcurrent) {
          reply.header('retry-after', 1);
          throw new TrailscopeError('RATE_LIMITED', `concurrency: at most ${config.maxConcurrent} requests at once for this API key`, {
            context: { field: 'concurrency', limit: config.maxConcurrent },
          });
        }
        inFlight.set(keyId, now + 1);
        let released = false;
        // 'finish' once the answer is handed to the socket (before the client can send its next request), 'close'
        // when the client went away first
        const release = () => {
          if (released) return;
          released = true;
          const left = (inFlight.get(keyId) ?? 1) - 1;
          if (left <= 0) inFlight.delete(keyId);
          else inFlight.set(keyId, left);
        };
        reply.raw.once('finish', release);
        reply.raw.once('close', release);
      }
    },
  };
}
