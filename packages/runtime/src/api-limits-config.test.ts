import { errorCodeOf } from '@trailscope/model';
import { loadConfig } from './config';

const load = (env: Record<string, string>) => loadConfig({ env, stackDir: '/nonexistent/trailscope-stack' });

function failureOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: errorCodeOf(err), message: (err as Error).message };
  }
  throw new Error('expected a failure');
}

describe('loadConfig API limits', () => {
  it('has bounded defaults', () => {
    expect(load({}).apiLimits).toEqual({
      searchTimeoutMs: 30_000,
      requestTimeoutMs: 10_000,
      connectionTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      ratePerWindow: 600,
      rateWindowMs: 60_000,
      maxConcurrentPerKey: 4,
    });
  });

  it('reads each variable, 0 turning a per-key budget off', () => {
    const limits = load({
      TRAILSCOPE_API_SEARCH_TIMEOUT_MS: '5000',
      TRAILSCOPE_API_REQUEST_TIMEOUT_MS: '2000',
      TRAILSCOPE_API_CONNECTION_TIMEOUT_MS: '9000',
      TRAILSCOPE_API_KEEP_ALIVE_TIMEOUT_MS: '1000',
      TRAILSCOPE_API_RATE_LIMIT: '0',
      TRAILSCOPE_API_RATE_WINDOW_MS: '1000',
      TRAILSCOPE_API_MAX_CONCURRENT: '0',
    }).apiLimits;
    expect(limits).toEqual({ searchTimeoutMs: 5000, requestTimeoutMs: 2000, connectionTimeoutMs: 9000, keepAliveTimeoutMs: 1000, ratePerWindow: 0, rateWindowMs: 1000, maxConcurrentPerKey: 0 });
  });

  it('refuses an idle-socket timeout that would cut searches short, and bad numbers, naming the variable', () => {
    const short = failureOf(() => load({ TRAILSCOPE_API_SEARCH_TIMEOUT_MS: '60000' }));
    expect(short.code).toBe('CONFIG_INVALID');
    expect(short.message).toContain('TRAILSCOPE_API_CONNECTION_TIMEOUT_MS');
    expect(failureOf(() => load({ TRAILSCOPE_API_RATE_LIMIT: '-1' })).message).toContain('TRAILSCOPE_API_RATE_LIMIT');
    expect(failureOf(() => load({ TRAILSCOPE_API_SEARCH_TIMEOUT_MS: 'soon' })).message).toContain('TRAILSCOPE_API_SEARCH_TIMEOUT_MS');
  });
});
