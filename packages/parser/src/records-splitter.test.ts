import { errorCodeOf } from '@trailscope/model';
import { RecordsSplitter } from './records-splitter';

/** Records whose text exercises everything the splitter must get right; kept as exact source text. */
const RECORDS = [
  '{"eventTime":"2026-03-01T00:00:00Z","n":1.0,"e":1e5,"neg":-0.50,"z":0}',
  '{"s":"quote \\" inside, brace } and ] and { [ in a string","b":"\\\\","c":"\\\\\\"","d":"ends with backslash\\\\"}',
  '{"u":"\\u00e9\\u0000\\ud83d\\ude00","raw":"é日本😀","nested":{"a":[1,{"b":[[],{}]}],"k":{"":""}}}',
  '{"zeta":1,"alpha":2,"mid":{"y":true,"x":false,"w":null}}',
  '[1,2,{"a":"]"}]',
  '"a string element with \\"escapes\\""',
  '12.50',
  'null',
  '{}',
];
const FILE = ` \n{"before":{"x":[1,"}",{"Records":[]}]},"n":-1.5e3,"s":"\\"",\t"Records" : [ ${RECORDS.join(' ,\n')} ] , "after":[{"k":"v"}],"t":true}\n`;
const BYTES = Buffer.from(FILE, 'utf8');

function splitInto(chunks: Buffer[]): string[] {
  const s = new RecordsSplitter('s3://b/k');
  const out: string[] = [];
  for (const c of chunks) out.push(...s.push(c));
  s.end();
  return out;
}

function splitText(text: string): string[] {
  return splitInto([Buffer.from(text, 'utf8')]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return errorCodeOf(err);
  }
  return 'no error';
}

describe('RecordsSplitter', () => {
  it('returns every element of Records as its exact original text', () => {
    expect(splitInto([BYTES])).toEqual(RECORDS);
  });

  it('keeps the text byte for byte (escapes, raw UTF-8, number spelling, key order)', () => {
    const out = splitInto([BYTES]);
    for (let i = 0; i < RECORDS.length; i++) {
      expect(Buffer.compare(Buffer.from(out[i] as string, 'utf8'), Buffer.from(RECORDS[i] as string, 'utf8'))).toBe(0);
    }
    expect(out[0]).toContain('"n":1.0,"e":1e5');
    expect(Object.keys(JSON.parse(out[3] as string))).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('gives the same result when the bytes are split in two at every offset', () => {
    for (let cut = 0; cut <= BYTES.length; cut++) {
      expect(splitInto([BYTES.subarray(0, cut), BYTES.subarray(cut)])).toEqual(RECORDS);
    }
  });

  it('gives the same result when split in three at every pair of nearby offsets', () => {
    for (let a = 0; a < BYTES.length; a++) {
      for (let b = a; b <= Math.min(BYTES.length, a + 7); b++) {
        expect(splitInto([BYTES.subarray(0, a), BYTES.subarray(a, b), BYTES.subarray(b)])).toEqual(RECORDS);
      }
    }
  });

  it('gives the same result fed one byte at a time (multi-byte UTF-8 split across chunks)', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < BYTES.length; i++) chunks.push(BYTES.subarray(i, i + 1));
    expect(splitInto(chunks)).toEqual(RECORDS);
  });

  it('tolerates a UTF-8 byte order mark and an empty Records array', () => {
    expect(splitInto([Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"Records":[]}')])])).toEqual([]);
    expect(splitText('{"Records":[ ]}')).toEqual([]);
  });

  it('uses the first Records key and skips a second one', () => {
    expect(splitText('{"Records":[{"a":1}],"Records":[{"b":2}]}')).toEqual(['{"a":1}']);
  });

  it('counts the records it found', () => {
    const s = new RecordsSplitter('x');
    s.push(BYTES);
    expect(s.records).toBe(RECORDS.length);
  });

  it.each([
    ['', 'EMPTY_LOG_FILE'],
    [' \n\t', 'EMPTY_LOG_FILE'],
    ['{}', 'NO_RECORDS_ARRAY'],
    ['{"other":[1]}', 'NO_RECORDS_ARRAY'],
    ['[{"Records":[]}]', 'NO_RECORDS_ARRAY'],
    ['"Records"', 'NO_RECORDS_ARRAY'],
    ['{"Records":{}}', 'RECORDS_NOT_ARRAY'],
    ['{"Records":null}', 'RECORDS_NOT_ARRAY'],
    ['{"Records":"[]"}', 'RECORDS_NOT_ARRAY'],
    ['not json', 'INVALID_JSON'],
    ['[1,', 'INVALID_JSON'],
    ['{"Records":[{"a":1}', 'INVALID_JSON'],
    ['{"Records":[{"a":1},', 'INVALID_JSON'],
    ['{"Records":[{"a":"1}]}', 'INVALID_JSON'],
    ['{"Records":[{"a":1}]', 'INVALID_JSON'],
    ['{"Records":[{"a":1}]}x', 'INVALID_JSON'],
    ['{"Records":[{"a":1}]}{}', 'INVALID_JSON'],
    ['{"Records":[{"a":1} {"b":2}]}', 'INVALID_JSON'],
    ['{"Records":[,{"a":1}]}', 'INVALID_JSON'],
    ['{"Records" [{"a":1}]}', 'INVALID_JSON'],
    ['{Records:[]}', 'INVALID_JSON'],
    ['{"a":1 "Records":[]}', 'INVALID_JSON'],
  ])('%j fails with %s', (text, code) => {
    expect(codeOf(() => splitText(text))).toBe(code);
  });

  it('names the input in its errors', () => {
    expect(() => splitText('{}')).toThrow('s3://b/k');
  });
});
