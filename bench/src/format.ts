/** Number formatting for the report: thousands separators, fixed significant digits. */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function fmtNum(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMiB(bytes: number, digits = 1): string {
  return `${fmtNum(bytes / 1024 / 1024, digits)} MiB`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${fmtNum(bytes / 1024 / 1024 / 1024, 2)} GiB`;
  if (bytes >= 1024 * 1024) return fmtMiB(bytes);
  if (bytes >= 1024) return `${fmtNum(bytes / 1024)} KiB`;
  return `${fmtInt(bytes)} B`;
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? '—' : r.toFixed(2);
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
