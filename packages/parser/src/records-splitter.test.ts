import { errorCodeOf } from '@trailscope/model';
import { NOT_PARSED, RecordsSplitter } from './records-splitter';

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

  describe('with a parsed list (the separator shortcut)', () => {
    /** The outcome of splitting `chunks`, with or without a parsed list: texts and values, or the error. */
    function outcome(chunks: Buffer[], withParsed: boolean): { raws: string[]; parsed: unknown[]; error?: string } {
      const s = new RecordsSplitter('s3://b/k');
      const raws: string[] = [];
      const parsed: unknown[] = [];
      try {
        for (const c of chunks) raws.push(...s.push(c, withParsed ? parsed : undefined));
        s.end();
      } catch (err) {
        return { raws, parsed, error: `${errorCodeOf(err)} ${(err as Error).message}` };
      }
      return { raws, parsed };
    }

    function chunkedAt(bytes: Buffer, size: number): Buffer[] {
      const out: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
      return out.length > 0 ? out : [bytes];
    }

    /** Splits with and without the shortcut: same texts, same error; each value is its text parsed, or NOT_PARSED. */
    function expectSameAsExact(chunks: Buffer[]): { raws: string[]; parsed: unknown[] } {
      const exact = outcome(chunks, false);
      const fast = outcome(chunks, true);
      expect(fast.raws).toEqual(exact.raws);
      expect(fast.error).toEqual(exact.error);
      if (fast.error === undefined) {
        expect(fast.parsed).toHaveLength(fast.raws.length);
        fast.parsed.forEach((v, k) => {
          if (v !== NOT_PARSED) expect(v).toEqual(JSON.parse(fast.raws[k] as string));
        });
      }
      return fast;
    }

    const ct = (n: number, extra = '') =>
      `{"eventVersion":"1.0${n % 10}","eventTime":"2026-03-01T00:00:0${n % 10}Z","eventSource":"s","eventName":"n${n}"${extra}}`;

    it('parses the records CloudTrail separates, and gives the texts the exact scan gives', () => {
      const records = Array.from({ length: 50 }, (_, n) => ct(n, n % 3 ? ',"s":"},{\\"eventVersion\\":1 \\u00e9 é"' : ''));
      const bytes = Buffer.from(`{"Records":[${records.join(',')}]}`, 'utf8');
      const whole = expectSameAsExact([bytes]);
      expect(whole.raws).toEqual(records);
      // all but the last record (followed by "]", not the separator) come parsed from the splitter
      expect(whole.parsed.filter((v) => v !== NOT_PARSED)).toHaveLength(49);
      for (const size of [1, 2, 3, 17, 18, 19, 100, 1000]) expectSameAsExact(chunkedAt(bytes, size));
    });

    it('falls back to the exact scan when the separator appears inside a record, for the rest of the file', () => {
      const nested = ct(1, ',"requestParameters":{"items":[{"a":1},{"eventVersion":"x"}]}');
      const records = [ct(0), nested, ct(2), ct(3)];
      const bytes = Buffer.from(`{"Records":[${records.join(',')}]}`, 'utf8');
      const got = expectSameAsExact([bytes]);
      expect(got.raws).toEqual(records);
      expect(got.parsed.map((v) => v !== NOT_PARSED)).toEqual([true, false, false, false]);
    });

    it('falls back when records start with another key or have whitespace between them', () => {
      for (const text of [
        `{"Records":[${ct(0)},{"eventTime":"x","eventVersion":"1"},${ct(1)},${ct(2)}]}`,
        `{"Records":[${ct(0)}, ${ct(1)},${ct(2)}]}`,
        `{"Records":[${ct(0)},\n${ct(1)},${ct(2)},${ct(3)}]}`,
        `{"Records":[{"eventVersion":"1","a":[]}],"x":[${ct(1)},${ct(2)}]}`,
      ]) {
        for (const size of [7, 64, 1 << 20]) expectSameAsExact(chunkedAt(Buffer.from(text, 'utf8'), size));
      }
    });

    it('leaves an invalid record to the exact scan, so that its text and the errors are unchanged', () => {
      for (const text of [
        `{"Records":[${ct(0)},{"eventVersion":tru},${ct(1)},${ct(2)}]}`,
        `{"Records":[${ct(0)},{"eventVersion":"1"}},{"eventVersion":"2"}]}`,
        `{"Records":[${ct(0)},{"eventVersion":"1",},{"eventVersion":"2"}]}`,
        `{"Records":[${ct(0)},{"eventVersion":"1"}x},{"eventVersion":"2"}]}`,
        `{"Records":[${ct(0)},{"eventVersion":"1"},{"eventVersion":"2"}]`,
        `{"Records":[${ct(0)},{"eventVersion":"1"},{"eventVersion":"2"}]}}`,
        `{"Records":[${ct(0)},{"eventVersion":"1"},{"eventVersion":"2"`,
      ]) {
        for (const size of [5, 64, 1 << 20]) expectSameAsExact(chunkedAt(Buffer.from(text, 'utf8'), size));
      }
    });

    it('agrees with the exact scan on random records and random chunkings', () => {
      let seed = 12345;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const strings = ['"a"', '"},{\\"eventVersion\\":"', '"\\\\"', '"]}"', '"é😀"', '"\\u0022"', '""'];
      function value(depth: number): string {
        const k = rand(depth > 3 ? 3 : 6);
        if (k === 0) return strings[rand(strings.length)] as string;
        if (k === 1) return String(rand(1000) - 500) + (rand(2) ? '.50' : '');
        if (k === 2) return ['true', 'false', 'null'][rand(3)] as string;
        if (k === 3) return `[${Array.from({ length: rand(4) }, () => value(depth + 1)).join(',')}]`;
        const keys = ['eventVersion', 'a', 'b', '}', 'eventTime'];
        return `{${Array.from({ length: rand(4) }, () => `"${keys[rand(keys.length)]}":${value(depth + 1)}`).join(',')}}`;
      }
      for (let file = 0; file < 200; file++) {
        const records = Array.from({ length: 1 + rand(8) }, () => `{"eventVersion":${value(1)},"x":${value(1)}}`);
        const bytes = Buffer.from(`{"Records":[${records.join(rand(10) ? ',' : ' ,')}]}`, 'utf8');
        const got = expectSameAsExact(chunkedAt(bytes, 1 + rand(300)));
        expect(got.raws).toEqual(records);
      }
    });

    it('fails an invalid envelope exactly as the exact scan does', () => {
      for (const text of ['', '{}', '{"Records":{}}', 'not json', '{"Records":[{"a":1}', '{"Records":[{"a":1} {"b":2}]}', '{"Records":[,{"a":1}]}']) {
        expectSameAsExact([Buffer.from(text, 'utf8')]);
      }
    });
  });
});
