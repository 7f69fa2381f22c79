import type { EventDoc } from './api';

export interface Column {
  id: string;
  label: string;
  value: (e: EventDoc) => string;
  /** The cell's class (time, err, principal), for wrapping and colour. */
  cls?: string;
}

export function principalOf(e: EventDoc): string {
  const u = e.userIdentity;
  return u?.arn ?? u?.userName ?? u?.sessionIssuer?.arn ?? u?.principalId ?? u?.type ?? '';
}

/** Every column the results table can show, in the order it shows them. */
export const COLUMNS: Column[] = [
  { id: 'eventTime', label: 'Event time', value: (e) => e.eventTime, cls: 'time' },
  { id: 'eventName', label: 'Event name', value: (e) => e.eventName },
  { id: 'eventSource', label: 'Event source', value: (e) => e.eventSource },
  { id: 'account', label: 'Account', value: (e) => e.account },
  { id: 'region', label: 'Region', value: (e) => e.region ?? '' },
  { id: 'principal', label: 'Principal', value: principalOf, cls: 'principal' },
  { id: 'userName', label: 'User name', value: (e) => e.userIdentity?.userName ?? '' },
  { id: 'userType', label: 'Identity type', value: (e) => e.userIdentity?.type ?? '' },
  { id: 'accessKeyId', label: 'Access key', value: (e) => e.userIdentity?.accessKeyId ?? '' },
  { id: 'sourceIPAddress', label: 'Source IP', value: (e) => e.sourceIPAddress ?? '' },
  { id: 'userAgent', label: 'User agent', value: (e) => e.userAgent ?? '', cls: 'principal' },
  { id: 'errorCode', label: 'Error code', value: (e) => e.errorCode ?? '', cls: 'err' },
  { id: 'errorMessage', label: 'Error message', value: (e) => e.errorMessage ?? '', cls: 'principal' },
  { id: 'readOnly', label: 'Read-only', value: (e) => (e.readOnly === undefined ? '' : String(e.readOnly)) },
  { id: 'eventType', label: 'Event type', value: (e) => e.eventType ?? '' },
  { id: 'eventCategory', label: 'Category', value: (e) => e.eventCategory ?? '' },
  { id: 'resources', label: 'Resources', value: (e) => (e.resources ?? []).map((r) => r.ARN ?? '').filter(Boolean).join(', '), cls: 'principal' },
  { id: 'requestID', label: 'Request id', value: (e) => e.requestID ?? '' },
  { id: 'eventId', label: 'Event id', value: (e) => e.eventID ?? e.id },
];

export const DEFAULT_COLUMNS = ['eventTime', 'eventName', 'eventSource', 'account', 'region', 'principal', 'sourceIPAddress', 'errorCode'];

const STORAGE_KEY = 'trailscope.columns';
const KNOWN = new Set(COLUMNS.map((c) => c.id));

function parseList(v: string | null | undefined): string[] | undefined {
  if (!v) return undefined;
  const ids = v.split(',').filter((id) => KNOWN.has(id));
  return ids.length ? ids : undefined;
}

/**
 * The columns shown: those the URL names (`columns=eventTime,eventName,…`, so a link shows the same table), else
 * the last choice made in this browser (local storage), else the defaults. Unknown names are left out.
 */
export function chosenColumns(params: URLSearchParams): Column[] {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage disabled: the URL and the defaults still work
  }
  const ids = new Set(parseList(params.get('columns')) ?? parseList(stored) ?? DEFAULT_COLUMNS);
  return COLUMNS.filter((c) => ids.has(c.id));
}

/** Records a choice in the URL's parameters (returned) and as this browser's default. */
export function withColumns(params: URLSearchParams, ids: string[]): URLSearchParams {
  const ordered = COLUMNS.map((c) => c.id).filter((id) => ids.includes(id));
  const next = new URLSearchParams(params);
  next.set('columns', ordered.join(','));
  try {
    localStorage.setItem(STORAGE_KEY, ordered.join(','));
  } catch {
    // storage disabled: the choice lives in the URL only
  }
  return next;
}
