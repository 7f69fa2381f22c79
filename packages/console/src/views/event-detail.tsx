import { useEffect, useState } from 'preact/hooks';
import type { Api, EventDoc } from '../api';
import { eventsHash } from '../query';
import { saveFile } from '../download';
import { principalOf } from '../columns';

function pretty(raw: string | undefined): string {
  if (raw === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function link(pairs: Array<[string, string]>): string {
  return eventsHash(new URLSearchParams(pairs));
}

const FIVE_MINUTES_MS = 5 * 60_000;

/** One-click searches from an event: only those whose value the search accepts are offered. */
function pivotsOf(e: EventDoc): Array<{ label: string; href: string }> {
  const out: Array<{ label: string; href: string }> = [];
  const principal = e.userIdentity?.arn ?? e.userIdentity?.userName;
  if (principal) out.push({ label: 'Same principal', href: link([['users', principal]]) });
  const ip = e.sourceIp ?? (e.sourceIPAddress && /\.amazonaws\.com$/.test(e.sourceIPAddress) ? e.sourceIPAddress : undefined);
  if (ip) out.push({ label: 'Same source IP', href: link([['sourceIps', ip]]) });
  if (e.requestID) out.push({ label: 'Same request id', href: link([['field', `requestID=${e.requestID}`]]) });
  const arn = e.resources?.find((r) => r.ARN)?.ARN;
  if (arn) out.push({ label: 'Same resource', href: link([['resourceNames', arn]]) });
  const t = Date.parse(e.eventTime);
  if (!Number.isNaN(t)) {
    out.push({
      label: '±5 minutes in this account',
      href: link([
        ['accounts', e.account],
        ['from', new Date(t - FIVE_MINUTES_MS).toISOString()],
        ['to', new Date(t + FIVE_MINUTES_MS).toISOString()],
      ]),
    });
  }
  return out;
}

export function EventDetail({ api, id }: { api: Api; id: string }) {
  const [event, setEvent] = useState<EventDoc>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState<string>();
  useEffect(() => {
    setEvent(undefined);
    setError(undefined);
    api.event(id).then(
      (r) => setEvent(r.event),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [id]);

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!event) return <p>Loading event…</p>;
  const fields: Array<[string, string | undefined]> = [
    ['Event time', event.eventTime],
    ['Event name', event.eventName],
    ['Event source', event.eventSource],
    ['Event id', event.eventID ?? event.id],
    ['Event type', event.eventType],
    ['Category', event.eventCategory],
    ['Account', event.account],
    ['Region', event.region],
    ['Principal', principalOf(event)],
    ['Identity type', event.userIdentity?.type],
    ['Access key', event.userIdentity?.accessKeyId],
    ['Source IP', event.sourceIPAddress],
    ['User agent', event.userAgent],
    ['Request id', event.requestID],
    ['Read-only', event.readOnly === undefined ? undefined : String(event.readOnly)],
    ['Error code', event.errorCode],
    ['Error message', event.errorMessage],
  ];

  async function copy() {
    try {
      await navigator.clipboard.writeText(event?.raw ?? '');
      setCopied('Copied');
    } catch {
      setCopied('The browser refused the clipboard');
    }
  }

  return (
    <article class="detail" data-testid="event-detail">
      <p>
        <a href="#/events" onClick={(e) => history.length > 1 && (e.preventDefault(), history.back())}>
          ← Back to results
        </a>
      </p>
      <h2>{event.eventName}</h2>
      <dl class="fields">
        {fields
          .filter(([, v]) => v !== undefined && v !== '')
          .map(([k, v]) => (
            <div>
              <dt>{k}</dt>
              <dd data-field={k}>{v}</dd>
            </div>
          ))}
      </dl>
      <nav class="pivots" aria-label="Pivots">
        {pivotsOf(event).map((p) => (
          <a class="pivot" href={p.href}>
            {p.label}
          </a>
        ))}
      </nav>
      <div class="raw-actions">
        <button type="button" onClick={() => void copy()}>
          Copy JSON
        </button>
        <button type="button" onClick={() => saveFile(`${event.id}.json`, [event.raw ?? ''], 'application/json')}>
          Download JSON
        </button>
        {copied && <span class="status">{copied}</span>}
      </div>
      <pre class="raw" data-testid="raw">{pretty(event.raw)}</pre>
    </article>
  );
}
