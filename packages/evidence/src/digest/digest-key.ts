/** What a digest file's key says about it: `<account>_CloudTrail-Digest_<region>_<trail>_<trailRegion>_<stamp>.json.gz`. */
export interface DigestKeyInfo {
  account: string;
  region: string;
  trailName: string;
  trailRegion: string;
  /** Delivery time from the name (second precision), epoch ms. */
  stampMs: number;
}

// A trail name may hold underscores, a region never does: the trail is everything between the region and the
// last two underscore-separated parts.
const DIGEST_NAME = /^(?<account>\d{12})_CloudTrail-Digest_(?<region>[a-z0-9-]+)_(?<trail>.+)_(?<trailRegion>[a-z0-9-]+)_(?<stamp>\d{8}T\d{6}Z)\.json\.gz$/;

export function stampToMs(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z$/.exec(stamp);
  if (!m) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'));
  // Date.UTC rolls month 13 or hour 25 over into a real time; such a name is not CloudTrail's
  const back = new Date(ms).toISOString();
  const digits = back.slice(0, 19).replace(/[-:T]/g, '');
  return digits === `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6] ?? '00'}` ? ms : Number.NaN;
}

export function parseDigestKey(key: string): DigestKeyInfo | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const g = DIGEST_NAME.exec(name)?.groups;
  if (!g) return undefined;
  const stampMs = stampToMs(g.stamp as string);
  if (Number.isNaN(stampMs)) return undefined;
  return { account: g.account as string, region: g.region as string, trailName: g.trail as string, trailRegion: g.trailRegion as string, stampMs };
}

/** The delivery time in a log file's name (`..._<YYYYMMDD>T<HHmm>Z_<random>.json.gz`), minute precision, epoch ms. */
export function logFileStampMs(key: string): number | undefined {
  const m = /_(\d{8}T\d{4})Z_[^/_]+\.json\.gz$/.exec(key);
  if (!m) return undefined;
  const ms = stampToMs(`${m[1]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
