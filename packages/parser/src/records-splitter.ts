import { TrailscopeError } from '@trailscope/model';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Where the splitter is in the envelope `{ "key": value, ..., "Records": [ elem, ... ], ... }`. */
const enum Phase {
  RootStart,
  KeyOrEnd,
  Key,
  KeyString,
  Colon,
  ValueStart,
  SkipValue,
  ElemOrEnd,
  Elem,
  Element,
  CommaOrArrayEnd,
  CommaOrObjectEnd,
  RootDone,
  NotObject,
}

/** The shape of the value being scanned, which decides how its end is found. */
const enum ValueKind {
  Container,
  String,
  Scalar,
}

/**
 * What separates two records in a CloudTrail log file: AWS writes the records with no whitespace between them, each
 * starting with its eventVersion. See RecordsSplitter.push for how it is used (and why a match is never trusted).
 */
const RECORD_SEPARATOR = Buffer.from('},{"eventVersion":', 'latin1');

/** push's marker for an element it did not parse. */
export const NOT_PARSED: unique symbol = Symbol('not parsed');

/** A non-object top level is kept (up to this size) only to tell invalid JSON from valid JSON of the wrong shape. */
const NOT_OBJECT_PROBE_BYTES = 1024 * 1024;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isScalarEnd(c: number): boolean {
  return c === COMMA || c === RBRACKET || c === RBRACE || isWhitespace(c);
}

function printable(c: number): string {
  return c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * Finds the elements of the top-level "Records" array in decompressed bytes pushed in arbitrary chunks, and returns
 * each element's exact original text. It only tracks what locating element boundaries needs (string and escape
 * state, bracket depth, the envelope's separators); each element is validated afterwards by JSON.parse, and the
 * values of other top-level keys are skipped, not validated.
 *
 * Why hand-written: the record text must survive byte for byte (an audit trail is evidence), and streaming JSON
 * libraries either rebuild values (losing `\u` escapes, number spelling such as `1.0`, sometimes key order) or are
 * several times slower than JSON.parse, which would dominate ingest cost. Scanning strings with Buffer.indexOf
 * (native memchr) keeps the per-byte JavaScript work to the few bytes between strings.
 *
 * Memory: bytes are retained only for an element (or top-level key) still open at a chunk boundary, so the peak is
 * the largest record plus one chunk, whatever the file size.
 */
export class RecordsSplitter {
  private phase: Phase = Phase.RootStart;
  private valueKind: ValueKind = ValueKind.Container;
  private depth = 0;
  private inString = false;
  private escNext = false;
  /** Pieces of an element or key that started in an earlier chunk. */
  private pieces: Buffer[] = [];
  private keyIsRecords = false;
  private sawRecords = false;
  private firstInContainer = true;
  private bytesSeen = 0;
  private recordsFound = 0;
  /** False once a separator match failed to parse in this file: the exact scan alone is used from then on. */
  private separatorWorks = true;
  private notObject: Buffer[] = [];
  private notObjectBytes = 0;

  /** `label` names the input in error messages (e.g. the S3 URL). */
  constructor(private readonly label: string) {}

  get records(): number {
    return this.recordsFound;
  }

  /**
   * Scans one chunk and returns the text of every element that ended inside it, in order.
   *
   * With `parsed`, the splitter also gets to parse: it appends one entry per returned element, the element's
   * JSON.parse value or NOT_PARSED, and may take a shortcut for whole records. Finding an element's end byte by byte
   * cost a third of what JSON.parse then spends on the same text, so at a record start the splitter first looks (with
   * a native search, several times faster) for the separator CloudTrail writes between records,
   * `},{"eventVersion":`, and offers the text up to it to JSON.parse. When that parses, it is exactly one JSON object
   * starting at the record start, which is exactly the element the byte-by-byte scan would have found (that scan
   * follows JSON's strings and brackets, and a valid object's brackets balance only at its end): the same text,
   * already parsed. When it does not parse (the separator matched inside a record or past its end, or the record is
   * invalid), nothing is kept and the exact scan takes over, for the rest of the file, so that a file written
   * otherwise costs one failed parse. Without `parsed`, only the exact scan runs.
   */
  push(chunk: Buffer, parsed?: unknown[]): string[] {
    const out: string[] = [];
    const len = chunk.length;
    let i = 0;
    /** Where the separator shortcut last stopped: the element starting there goes to the exact scan. */
    let exactFrom = -1;
    /** Set once the rest of this chunk is known to hold no separator, so that it is not searched again. */
    let noSeparator = false;
    if (this.bytesSeen === 0 && len >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    this.bytesSeen += len;
    while (i < len) {
      switch (this.phase) {
        case Phase.Element: {
          const start = i;
          const end = this.scanValue(chunk, i, len);
          if (end < 0) {
            this.pieces.push(chunk.subarray(start));
            return out;
          }
          out.push(this.take(chunk, start, end));
          parsed?.push(NOT_PARSED);
          this.recordsFound++;
          this.phase = Phase.CommaOrArrayEnd;
          i = end;
          break;
        }
        case Phase.SkipValue: {
          const end = this.scanValue(chunk, i, len);
          if (end < 0) return out;
          this.phase = Phase.CommaOrObjectEnd;
          i = end;
          break;
        }
        case Phase.KeyString: {
          const start = i;
          const q = this.skipString(chunk, i, len);
          if (q < 0) {
            this.pieces.push(chunk.subarray(start));
            return out;
          }
          this.keyIsRecords = this.take(chunk, start, q) === 'Records';
          this.phase = Phase.Colon;
          i = q + 1;
          break;
        }
        case Phase.NotObject: {
          this.keepNotObject(chunk.subarray(i));
          return out;
        }
        default: {
          const c = chunk[i] as number;
          if (isWhitespace(c)) {
            i++;
            break;
          }
          if (
            c === LBRACE &&
            parsed !== undefined &&
            this.separatorWorks &&
            !noSeparator &&
            i !== exactFrom &&
            (this.phase === Phase.Elem || this.phase === Phase.ElemOrEnd)
          ) {
            exactFrom = this.takeSeparated(chunk, i, out, parsed);
            noSeparator = exactFrom < 0;
            if (noSeparator) exactFrom = -exactFrom - 1;
            i = exactFrom;
            break;
          }
          // A value starting at this byte is left for the scanning phases above.
          if (this.structural(c)) i++;
        }
      }
    }
    return out;
  }

  /** Called after the last chunk: throws when the input ended early or never held a Records array. */
  end(): void {
    if (this.phase === Phase.RootStart) {
      throw new TrailscopeError('EMPTY_LOG_FILE', `${this.label} is empty (no JSON after decompression)`);
    }
    if (this.phase === Phase.NotObject) {
      const text = Buffer.concat(this.notObject).toString('utf8');
      if (this.notObjectBytes <= NOT_OBJECT_PROBE_BYTES) {
        try {
          JSON.parse(text);
        } catch (cause) {
          throw new TrailscopeError('INVALID_JSON', `${this.label} is not valid JSON: ${(cause as Error).message}`, { cause });
        }
      }
      throw new TrailscopeError('NO_RECORDS_ARRAY', `${this.label} has no "Records" array: its top-level JSON value is not an object`);
    }
    if (this.phase !== Phase.RootDone) {
      throw new TrailscopeError('INVALID_JSON', `${this.label} is not valid JSON: the text ends before the top-level object closes`);
    }
    if (!this.sawRecords) {
      throw new TrailscopeError('NO_RECORDS_ARRAY', `${this.label} has no "Records" array in its top-level object`);
    }
  }

  /** Handles one non-whitespace byte in the envelope phases; false when the byte starts a value still to scan. */
  private structural(c: number): boolean {
    switch (this.phase) {
      case Phase.RootStart:
        if (c === LBRACE) {
          this.phase = Phase.KeyOrEnd;
          return true;
        }
        this.phase = Phase.NotObject;
        return false;
      case Phase.KeyOrEnd:
        if (c === RBRACE) {
          this.phase = Phase.RootDone;
          return true;
        }
        this.expectKey(c);
        return true;
      case Phase.Key:
        this.expectKey(c);
        return true;
      case Phase.Colon:
        if (c !== COLON) this.unexpected(c, 'a ":" after a top-level key');
        this.phase = Phase.ValueStart;
        return true;
      case Phase.ValueStart:
        if (this.keyIsRecords && !this.sawRecords) {
          this.sawRecords = true;
          if (c !== LBRACKET) {
            throw new TrailscopeError('RECORDS_NOT_ARRAY', `${this.label}: "Records" is not an array (it starts with ${printable(c)})`);
          }
          this.phase = Phase.ElemOrEnd;
          return true;
        }
        this.startValue(c);
        this.phase = Phase.SkipValue;
        return false;
      case Phase.ElemOrEnd:
        if (c === RBRACKET) {
          this.phase = Phase.CommaOrObjectEnd;
          return true;
        }
        this.startElement(c);
        return false;
      case Phase.Elem:
        this.startElement(c);
        return false;
      case Phase.CommaOrArrayEnd:
        if (c === COMMA) this.phase = Phase.Elem;
        else if (c === RBRACKET) this.phase = Phase.CommaOrObjectEnd;
        else this.unexpected(c, 'a "," or "]" after a record');
        return true;
      case Phase.CommaOrObjectEnd:
        if (c === COMMA) this.phase = Phase.Key;
        else if (c === RBRACE) this.phase = Phase.RootDone;
        else this.unexpected(c, 'a "," or "}" after a top-level value');
        return true;
      case Phase.RootDone:
        return this.unexpected(c, 'the end of the text after the top-level object');
      default:
        throw new TrailscopeError('INTERNAL', `records splitter reached an impossible state ${this.phase}`);
    }
  }

  /**
   * From the record starting at `start` (a "{" in this chunk), takes every record that ends at a RECORD_SEPARATOR
   * and parses as JSON (see push). Returns where it stopped, at the start of a record left to the exact scan, encoded
   * as `-stop - 1` when it stopped because the rest of the chunk holds no separator.
   */
  private takeSeparated(chunk: Buffer, start: number, out: string[], parsed: unknown[]): number {
    for (;;) {
      const at = chunk.indexOf(RECORD_SEPARATOR, start);
      if (at < 0) return -start - 1;
      const text = chunk.toString('utf8', start, at + 1);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        this.separatorWorks = false;
        return start;
      }
      out.push(text);
      parsed.push(value);
      this.recordsFound++;
      // past the separator's "}," : the next record's "{" starts an element, as after any comma
      this.phase = Phase.Elem;
      start = at + 2;
    }
  }

  private expectKey(c: number): void {
    if (c !== QUOTE) this.unexpected(c, 'a quoted top-level key');
    this.inString = true;
    this.escNext = false;
    this.phase = Phase.KeyString;
  }

  private startElement(c: number): void {
    if (c === RBRACKET || c === COMMA || c === RBRACE || c === COLON) this.unexpected(c, 'a record');
    this.startValue(c);
    this.phase = Phase.Element;
  }

  /** Prepares scanValue for a value starting with byte `c`, which scanValue then consumes itself. */
  private startValue(c: number): void {
    this.depth = 0;
    this.inString = false;
    this.escNext = false;
    if (c === LBRACE || c === LBRACKET) this.valueKind = ValueKind.Container;
    else if (c === QUOTE) this.valueKind = ValueKind.String;
    else if (c === RBRACE || c === RBRACKET || c === COMMA || c === COLON) this.unexpected(c, 'a value');
    else this.valueKind = ValueKind.Scalar;
  }

  private unexpected(c: number, expected: string): never {
    throw new TrailscopeError('INVALID_JSON', `${this.label} is not valid JSON: found ${printable(c)} where ${expected} was expected`);
  }

  /**
   * Scans the value from `i`; returns the index just past its end, or -1 when it continues in the next chunk (the
   * scanning state is kept in fields so the next call resumes where this one stopped).
   */
  private scanValue(buf: Buffer, i: number, len: number): number {
    if (this.valueKind === ValueKind.Scalar) {
      while (i < len) {
        if (isScalarEnd(buf[i] as number)) return i;
        i++;
      }
      return -1;
    }
    if (this.valueKind === ValueKind.String) {
      if (!this.inString) {
        this.inString = true;
        i++;
      }
      const q = this.skipString(buf, i, len);
      return q < 0 ? -1 : q + 1;
    }
    if (this.inString) {
      const q = this.skipString(buf, i, len);
      if (q < 0) return -1;
      i = q + 1;
    }
    let depth = this.depth;
    while (i < len) {
      const c = buf[i] as number;
      if (c === QUOTE) {
        this.inString = true;
        const q = this.skipString(buf, i + 1, len);
        if (q < 0) {
          this.depth = depth;
          return -1;
        }
        i = q + 1;
        continue;
      }
      if (c === LBRACE || c === LBRACKET) {
        depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        depth--;
        if (depth === 0) {
          this.depth = 0;
          return i + 1;
        }
      }
      i++;
    }
    this.depth = depth;
    return -1;
  }

  /**
   * Inside a string starting at `p`: returns the index of the closing quote, or -1 when the string continues in the
   * next chunk, remembering whether that chunk's first byte is escaped by a trailing odd run of backslashes.
   */
  private skipString(buf: Buffer, p: number, len: number): number {
    if (this.escNext) {
      if (p >= len) return -1;
      p++;
      this.escNext = false;
    }
    for (;;) {
      const q = buf.indexOf(QUOTE, p);
      if (q < 0) {
        let k = len - 1;
        while (k >= p && buf[k] === BACKSLASH) k--;
        this.escNext = ((len - 1 - k) & 1) === 1;
        return -1;
      }
      let k = q - 1;
      while (k >= p && buf[k] === BACKSLASH) k--;
      if (((q - 1 - k) & 1) === 0) {
        this.inString = false;
        return q;
      }
      p = q + 1;
    }
  }

  /** The text of bytes [start, end) of this chunk, joined to pieces kept from earlier chunks. */
  private take(chunk: Buffer, start: number, end: number): string {
    if (this.pieces.length === 0) return chunk.toString('utf8', start, end);
    this.pieces.push(chunk.subarray(start, end));
    const text = Buffer.concat(this.pieces).toString('utf8');
    this.pieces = [];
    return text;
  }

  private keepNotObject(bytes: Buffer): void {
    if (this.notObjectBytes < NOT_OBJECT_PROBE_BYTES) this.notObject.push(bytes);
    this.notObjectBytes += bytes.length;
  }
}
