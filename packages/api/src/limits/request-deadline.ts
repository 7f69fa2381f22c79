import type { FastifyInstance } from 'fastify';
import { TrailscopeError } from '@trailscope/model';
import type { RequestLimits } from '@trailscope/query';

/** TRAILSCOPE_API_*_TIMEOUT_MS: socket timeouts of the listener and the deadline of every search. */
export interface HttpTimeouts {
  /** How long the whole request (headers and body) may take to arrive. */
  requestTimeoutMs: number;
  /** How long a socket may stay idle; longer than any search, or answers are cut. */
  connectionTimeoutMs: number;
  /** How long an idle keep-alive connection is kept between requests. */
  keepAliveTimeoutMs: number;
  /** How long a search or aggregation may run, in OpenSearch and in the API. */
  searchTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = Object.freeze({
  requestTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  searchTimeoutMs: 30_000,
});

declare module 'fastify' {
  interface FastifyRequest {
    /** What the searches of this request pass to the query package: aborted at the deadline or when the client leaves. */
    searchLimits: RequestLimits;
  }
}

/**
 * Gives every request a deadline and a signal: the signal aborts when the deadline passes (TIMEOUT, 504) or when
 * the client disconnects before its answer, and the query package then aborts the OpenSearch request and cancels
 * its task. Nothing keeps running in the cluster for an answer nobody waits for.
 */
export function registerRequestDeadline(app: FastifyInstance, searchTimeoutMs: number): void {
  app.decorateRequest('searchLimits', null as unknown as RequestLimits);
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(
        new TrailscopeError('TIMEOUT', `request: not answered within the deadline of ${searchTimeoutMs} ms; narrow the time range or the filters`, {
          context: { limit: searchTimeoutMs },
        }),
      );
    }, searchTimeoutMs);
    timer.unref();
    reply.raw.once('close', () => {
      clearTimeout(timer);
      if (!reply.raw.writableFinished) controller.abort(new TrailscopeError('TIMEOUT', 'request: the client disconnected before the answer'));
    });
    request.searchLimits = { signal: controller.signal, timeoutMs: searchTimeoutMs };
  });
}
