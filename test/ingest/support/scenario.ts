import { gzipSync } from 'node:zlib';
import { generateTrail, gzipLogFile, logFileKey, type GeneratedFile } from '@trailscope/fixtures';

/** The acceptance bucket of issue 4: what it holds and what a correct ingestion must produce from it. */
export interface Scenario {
  objects: Array<{ key: string; body: Buffer }>;
  /** Keys of every log or insight file the backfill must queue. */
  logFileKeys: string[];
  /** Distinct events: eventID, or the raw text for records without one. */
  distinct: Map<string, { account: string; region: string; raw: string; eventID?: string }>;
  /** Good records delivered, counting each duplicate delivery. */
  goodRecordsDelivered: number;
  broken: Array<{ key: string; code: string }>;
  mixed: { key: string; goodEventIds: string[]; badCount: number };
  skipped: { digest: number; folder: number; 'not-cloudtrail': number; 'not-json-gz': number };
}

export const PLAIN = '111111111111';
export const ORG = 'o-a1b2c3d4e5';
export const ORG_ACCOUNTS = ['222222222222', '333333333333'];
export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
export const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];

/** The region a document is indexed under: the record's awsRegion, else the region folder of its key. */
export function regionOf(record: Record<string, unknown>, keyRegion: string): string {
  return typeof record.awsRegion === 'string' ? record.awsRegion : keyRegion;
}

function accountOf(record: Record<string, unknown>, keyAccount: string): string {
  return typeof record.recipientAccountId === 'string' ? record.recipientAccountId : keyAccount;
}

const dayKey = (account: string, region: string, day: string, suffix: string, orgId?: string, hhmm = 1200) =>
  logFileKey({ orgId, account, region, fileTimeMs: Date.parse(`${day}T00:00:00Z`) + Math.floor(hhmm / 100) * 3600000 + (hhmm % 100) * 60000, suffix });

export function buildScenario(seed = 4): Scenario {
  const trail: GeneratedFile[] = generateTrail({ seed, accounts: [PLAIN], orgId: ORG, orgAccounts: ORG_ACCOUNTS, regions: REGIONS, days: DAYS, filesPerPartition: 2, eventsPerFile: 8, lateEventShare: 0.15 });
  const objects: Array<{ key: string; body: Buffer }> = [];
  const distinct: Scenario['distinct'] = new Map();
  const logFileKeys: string[] = [];
  let goodRecordsDelivered = 0;

  const addLogFile = (key: string, raws: string[], keyAccount: string, keyRegion: string) => {
    objects.push({ key, body: gzipLogFile(raws) });
    logFileKeys.push(key);
    for (const raw of raws) {
      const rec = JSON.parse(raw) as Record<string, unknown>;
      goodRecordsDelivered += 1;
      const id = typeof rec.eventID === 'string' ? rec.eventID : `raw:${raw}`;
      distinct.set(id, { account: accountOf(rec, keyAccount), region: regionOf(rec, keyRegion), raw, eventID: rec.eventID as string | undefined });
    }
  };

  for (const f of trail) addLogFile(f.key, f.rawRecords, f.account, f.region);

  // Duplicate deliveries: one whole file delivered again under another name, and a file repeating 3 earlier records.
  const again = trail[5] as GeneratedFile;
  addLogFile(dayKey(again.account, again.region, again.deliveryDate, 'dddddddddddddd01', again.orgId, 2355), again.rawRecords, again.account, again.region);
  const src = trail.filter((f) => f.account === ORG_ACCOUNTS[0] && f.region === 'eu-west-1');
  const repeated = src.flatMap((f) => f.rawRecords.slice(0, 1)).slice(0, 3);
  addLogFile(dayKey(ORG_ACCOUNTS[0] as string, 'eu-west-1', '2026-03-03', 'dddddddddddddd02', ORG, 2356), repeated, ORG_ACCOUNTS[0] as string, 'eu-west-1');

  // Records without eventID (eventVersion 1.0): two byte-identical ones count once, also across files.
  const old = (n: number, region: string) =>
    JSON.stringify({ eventVersion: '1.0', userIdentity: { type: 'IAMUser', userName: `legacy-${n}` }, eventTime: `2026-03-02T0${n}:00:00Z`, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', awsRegion: region, sourceIPAddress: '198.51.100.7', userAgent: 'ec2-api-tools 1.0', requestParameters: null, responseElements: null });
  const noIdRaws = [old(1, 'us-east-1'), old(2, 'us-east-1'), old(3, 'us-east-1'), old(1, 'us-east-1')];
  addLogFile(dayKey(PLAIN, 'us-east-1', '2026-03-02', 'eeeeeeeeeeeeee01'), noIdRaws, PLAIN, 'us-east-1');
  addLogFile(dayKey(PLAIN, 'us-east-1', '2026-03-03', 'eeeeeeeeeeeeee02'), [old(2, 'us-east-1')], PLAIN, 'us-east-1');

  // Insights events.
  const insight = (n: number) =>
    JSON.stringify({ eventVersion: '1.08', eventTime: `2026-03-02T1${n}:00:00Z`, awsRegion: 'us-east-1', eventID: `0000000${n}-1111-4222-8333-444444444444`, eventType: 'AwsCloudTrailInsight', recipientAccountId: PLAIN, sharedEventID: `5555555${n}-1111-4222-8333-444444444444`, insightDetails: { state: n % 2 ? 'Start' : 'End', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', insightType: 'ApiCallRateInsight', insightContext: { statistics: { baseline: { average: 0.1 }, insight: { average: 5 } } } }, eventCategory: 'Insight', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' });
  const insightKey = `AWSLogs/${PLAIN}/CloudTrail-Insight/us-east-1/2026/03/02/${PLAIN}_CloudTrail-Insight_us-east-1_20260302T1215Z_ffffffffffffff01.json.gz`;
  addLogFile(insightKey, [insight(1), insight(2), insight(3)], PLAIN, 'us-east-1');

  // The mixed file: 2 good records and 3 non-objects.
  const mixGood = generateTrail({ seed: seed + 100, accounts: [PLAIN], regions: ['eu-west-1'], days: ['2026-03-01'], filesPerPartition: 1, eventsPerFile: 2, lateEventShare: 0 })[0] as GeneratedFile;
  const mixedKey = dayKey(PLAIN, 'eu-west-1', '2026-03-01', 'mmmmmmmmmmmmmm01');
  objects.push({ key: mixedKey, body: gzipSync(Buffer.from(`{"Records":[${mixGood.rawRecords[0]},42,"not an object",[1,2],${mixGood.rawRecords[1]}]}`)) });
  logFileKeys.push(mixedKey);
  for (const raw of mixGood.rawRecords) {
    const rec = JSON.parse(raw) as Record<string, unknown>;
    goodRecordsDelivered += 1;
    distinct.set(rec.eventID as string, { account: PLAIN, region: regionOf(rec, 'eu-west-1'), raw, eventID: rec.eventID as string });
  }

  // Six broken files, one per file-level error.
  const validGzip = gzipLogFile(trail[1]?.rawRecords ?? []);
  const brokenBodies: Array<{ code: string; body: Buffer }> = [
    { code: 'NOT_GZIP', body: Buffer.from('{"Records":[]} but not compressed') },
    { code: 'GZIP_TRUNCATED', body: validGzip.subarray(0, Math.floor(validGzip.length / 2)) },
    { code: 'INVALID_JSON', body: gzipSync(Buffer.from('{"Records":[{"eventTime":"2026-03-01T00:00:00Z",')) },
    { code: 'NO_RECORDS_ARRAY', body: gzipSync(Buffer.from('{"Events":[]}')) },
    { code: 'RECORDS_NOT_ARRAY', body: gzipSync(Buffer.from('{"Records":{"eventName":"x"}}')) },
    { code: 'EMPTY_LOG_FILE', body: gzipSync(Buffer.alloc(0)) },
  ];
  const broken = brokenBodies.map((b, i) => {
    const account = [PLAIN, ...ORG_ACCOUNTS][i % 3] as string;
    const key = dayKey(account, REGIONS[i % 3] as string, DAYS[i % 3] as string, `bbbbbbbbbbbbbb0${i}`, account === PLAIN ? undefined : ORG);
    objects.push({ key, body: b.body });
    logFileKeys.push(key);
    return { key, code: b.code };
  });

  // What an ingester must skip and count.
  const skipped = { digest: 0, folder: 0, 'not-cloudtrail': 0, 'not-json-gz': 0 };
  for (const [i, region] of REGIONS.entries()) {
    objects.push({ key: `AWSLogs/${PLAIN}/CloudTrail-Digest/${region}/2026/03/0${i + 1}/${PLAIN}_CloudTrail-Digest_${region}_trail_us-east-1_2026030${i + 1}T010000Z.json.gz`, body: gzipSync(Buffer.from('{"logFiles":[]}')) });
    skipped.digest += 1;
  }
  for (const key of ['AWSLogs/', `AWSLogs/${PLAIN}/`, `AWSLogs/${ORG}/`, `AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/`]) {
    objects.push({ key, body: Buffer.alloc(0) });
    skipped.folder += 1;
  }
  objects.push({ key: 'AWSLogs/readme.txt', body: Buffer.from('CloudTrail delivers here') });
  skipped['not-cloudtrail'] += 1;
  objects.push({ key: `AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/notes.txt`, body: Buffer.from('operator notes') });
  skipped['not-json-gz'] += 1;
  objects.push({ key: `AWSLogs/${PLAIN}/elasticloadbalancing/us-east-1/2026/03/01/elb.log.gz`, body: gzipSync(Buffer.from('elb')) });

  return { objects, logFileKeys, distinct, goodRecordsDelivered, broken, mixed: { key: mixedKey, goodEventIds: mixGood.records.map((r) => r.eventID as string), badCount: 3 }, skipped };
}
