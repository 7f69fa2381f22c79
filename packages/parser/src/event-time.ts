const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Length of CloudTrail's own spelling `YYYY-MM-DDTHH:mm:ssZ`. */
const CLOUDTRAIL_TIME_CHARS = 20;

const DIGIT_0 = 0x30;
const DASH = 0x2d;
const COLON = 0x3a;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;

/** The value of the `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
function digitsAt(v: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = v.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * True when `v` is exactly `YYYY-MM-DDTHH:mm:ssZ` naming a real UTC second in 1970..9999, which is what CloudTrail
 * writes in every record. Checking the characters directly saves a Date.parse, a Date, a toISOString and a regular
 * expression per record; anything else (fractions, offsets, rolled-over dates such as 02-30) is left to the Date path.
 */
function isCloudTrailTime(v: string): boolean {
  if (v.length !== CLOUDTRAIL_TIME_CHARS) return false;
  if (
    v.charCodeAt(4) !== DASH ||
    v.charCodeAt(7) !== DASH ||
    v.charCodeAt(10) !== LETTER_T ||
    v.charCodeAt(13) !== COLON ||
    v.charCodeAt(16) !== COLON ||
    v.charCodeAt(19) !== LETTER_Z
  ) {
    return false;
  }
  const year = digitsAt(v, 0, 4);
  const month = digitsAt(v, 5, 2);
  const day = digitsAt(v, 8, 2);
  const hour = digitsAt(v, 11, 2);
  const minute = digitsAt(v, 14, 2);
  const second = digitsAt(v, 17, 2);
  return (
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  );
}

/**
 * The eventTime as Date reads it: undefined when it is not a date in 1970..9999; kept as written when it is ISO-8601
 * UTC naming the same second (Date also reads "T24:00:00Z" or "02-30" by rolling over), else rewritten as ISO-8601 UTC.
 * Exported so tests can hold the fast path to the same answers.
 */
export function eventTimeByDate(v: string): string | undefined {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return undefined;
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1970 || y > 9999) return undefined;
  const iso = d.toISOString();
  if (ISO_SECONDS.test(v) && v.startsWith(iso.slice(0, 19))) return v;
  return iso;
}

/**
 * The eventTime to index, or undefined when it is not a date. CloudTrail's own `YYYY-MM-DDTHH:mm:ssZ` is kept as
 * written; any other spelling Date can read is rewritten as ISO-8601 UTC so OpenSearch's date parser and the
 * per-day index name always agree.
 */
export function eventTimeOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (isCloudTrailTime(v)) return v;
  return eventTimeByDate(v);
}
