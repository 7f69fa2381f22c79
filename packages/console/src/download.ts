import type { Api, EventDoc } from './api';

export const MAX_DOWNLOAD_EVENTS = 100_000;

const CSV_COLUMNS: Array<[string, (e: EventDoc) => string | undefined]> = [
  ['eventTime', (e) => e.eventTime],
  ['eventId', (e) => e.id],
  ['eventName', (e) => e.eventName],
  ['eventSource', (e) => e.eventSource],
  ['account', (e) => e.account],
  ['region', (e) => e.region],
  ['principal', (e) => e.userIdentity?.arn ?? e.userIdentity?.userName],
  ['accessKeyId', (e) => e.userIdentity?.accessKeyId],
  ['sourceIPAddress', (e) => e.sourceIPAddress],
  ['userAgent', (e) => e.userAgent],
  ['errorCode', (e) => e.errorCode],
  ['errorMessage', (e) => e.errorMessage],
  ['requestID', (e) => e.requestID],
];

// RFC 4180 quoting; a leading = + - @ is prefixed with ' so that a spreadsheet never evaluates attacker text
export function csvCell(v: string | undefined): string {
  if (v === undefined) return '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvHeader(): string {
  return CSV_COLUMNS.map(([n]) => n).join(',') + '\r\n';
}

export function csvRow(e: EventDoc): string {
  return CSV_COLUMNS.map(([, f]) => csvCell(f(e))).join(',') + '\r\n';
}

/**
 * Every event of the query, paged through /v1/events with the cursor (1,000 a page), as CSV rows or as the raw
 * records one per line (NDJSON). Bounded at MAX_DOWNLOAD_EVENTS so a tab never holds an unbounded download.
 */
export async function collectDownload(api: Api, params: Array<[string, string]>, format: 'csv' | 'ndjson', onProgress: (n: number) => void): Promise<{ parts: string[]; count: number; truncated: boolean }> {
  const parts: string[] = format === 'csv' ? [csvHeader()] : [];
  const withRaw: Array<[string, string]> = format === 'ndjson' ? [...params, ['includeRaw', 'true']] : params;
  let cursor: string | undefined;
  let count = 0;
  do {
    const page = await api.events(withRaw, cursor, 1000);
    for (const e of page.events) {
      if (count >= MAX_DOWNLOAD_EVENTS) return { parts, count, truncated: true };
      parts.push(format === 'csv' ? csvRow(e) : `${e.raw ?? JSON.stringify(e)}\n`);
      count += 1;
    }
    onProgress(count);
    cursor = page.cursor;
  } while (cursor);
  return { parts, count, truncated: false };
}

export function saveFile(name: string, parts: string[], type: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
