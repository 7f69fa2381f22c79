/** The console's only way to the server: the /v1 API with the signed-in key as a Bearer token. */

const STORAGE_KEY = 'trailscope.apiKey';

export interface Credentials {
  keyId: string;
  secret: string;
}

export interface Session {
  key: { id: string; name?: string };
  scope: { accounts?: string[]; regions?: string[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// sessionStorage: the key lives as long as the tab, is never put in a URL, and is not shared with other tabs
export function loadCredentials(): Credentials | undefined {
  try {
    const v = sessionStorage.getItem(STORAGE_KEY);
    if (!v) return undefined;
    const parsed = JSON.parse(v) as Partial<Credentials>;
    return typeof parsed.keyId === 'string' && typeof parsed.secret === 'string' ? { keyId: parsed.keyId, secret: parsed.secret } : undefined;
  } catch {
    return undefined;
  }
}

export function saveCredentials(c: Credentials | undefined): void {
  if (c) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(STORAGE_KEY);
}

const THROTTLED_ATTEMPTS = 6;

export type QueryParams = Array<[string, string]>;

export class Api {
  constructor(private readonly creds: Credentials) {}

  /**
   * One view fires several requests at once (a page, the histogram, the previous query's stragglers) and the server
   * caps requests in flight per key: a throttled request waits as told by retry-after and tries again, a few times.
   */
  private async retried(method: 'GET' | 'POST', path: string, body: unknown, accept: string): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fetchOk(method, path, body, accept);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 429 || attempt >= THROTTLED_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(err.retryAfterMs ?? 250 * 2 ** attempt, 5000)));
      }
    }
  }

  /** The answer when it is a success; else its error (the API's `{error: {code, message}}`) thrown as ApiError. */
  private async fetchOk(method: 'GET' | 'POST', path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.creds.keyId}.${this.creds.secret}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the trailscope server cannot be reached');
    }
    if (res.ok) return res;
    let json: unknown;
    try {
      json = JSON.parse(await res.text());
    } catch {
      json = {};
    }
    const err = (json as { error?: { code?: string; message?: string } }).error;
    const retryAfterS = Number(res.headers.get('retry-after'));
    throw new ApiError(
      res.status,
      err?.code ?? 'HTTP_' + res.status,
      err?.message ?? `the server answered ${res.status}`,
      Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : undefined,
    );
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.retried(method, path, body, 'application/json');
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw new ApiError(res.status, 'BAD_ANSWER', `the server answered ${res.status} with a body that is not JSON`);
    }
  }

  /** `GET /v1/export`: the answer whose body streams the matching events (read it with `body.getReader()`). */
  exportEvents(params: QueryParams, format: 'csv' | 'ndjson'): Promise<Response> {
    const q = new URLSearchParams(params);
    q.set('format', format);
    return this.retried('GET', `/v1/export?${q.toString()}`, undefined, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
  }

  session(): Promise<Session> {
    return this.call('GET', '/v1/session');
  }

  events(params: QueryParams, cursor?: string, pageSize = 100): Promise<EventPage> {
    const q = new URLSearchParams(params);
    q.set('pageSize', String(pageSize));
    if (cursor) q.set('cursor', cursor);
    return this.call('GET', `/v1/events?${q.toString()}`);
  }

  event(id: string): Promise<{ event: EventDoc }> {
    return this.call('GET', `/v1/events/${encodeURIComponent(id)}?includeRaw=true`);
  }

  aggregate(filters: Record<string, unknown>, aggs: Record<string, unknown>): Promise<AggregationResult> {
    return this.call('POST', '/v1/aggregations', { ...filters, aggs });
  }

  findings(params: QueryParams, cursor?: string): Promise<FindingsPage> {
    const q = new URLSearchParams(params);
    if (cursor) q.set('cursor', cursor);
    return this.call('GET', `/v1/findings?${q.toString()}`);
  }

  setFindingStatus(id: string, status: 'open' | 'acknowledged' | 'closed'): Promise<{ finding: Finding }> {
    return this.call('POST', `/v1/findings/${encodeURIComponent(id)}/status`, { status });
  }
}

export interface EventDoc {
  id: string;
  eventTime: string;
  eventID?: string;
  eventSource: string;
  eventName: string;
  eventType?: string;
  eventCategory?: string;
  account: string;
  region?: string;
  readOnly?: boolean;
  errorCode?: string;
  errorMessage?: string;
  userIdentity?: { type?: string; principalId?: string; arn?: string; accountId?: string; accessKeyId?: string; userName?: string; sessionIssuer?: { arn?: string; userName?: string } };
  sourceIPAddress?: string;
  sourceIp?: string;
  userAgent?: string;
  requestID?: string;
  resources?: Array<{ ARN?: string; type?: string; accountId?: string }>;
  raw?: string;
}

export interface EventPage {
  events: EventDoc[];
  total: number;
  cursor?: string;
}

export interface AggBucket {
  key: string;
  count: number;
  aggs?: Record<string, AggResult>;
}

export interface AggResult {
  type: string;
  buckets?: AggBucket[];
  otherCount?: number;
}

export interface AggregationResult {
  total: number;
  aggs: Record<string, AggResult>;
}

export interface Finding {
  id: string;
  ruleId: string;
  ruleTitle: string;
  ruleLevel: string;
  eventIds: string[];
  eventCount: number;
  eventTime: string;
  lastSeen: string;
  account?: string;
  region?: string;
  principal?: string;
  status: 'open' | 'acknowledged' | 'closed';
  statusBy?: string;
}

export interface FindingsPage {
  findings: Finding[];
  total: number;
  cursor?: string;
}
