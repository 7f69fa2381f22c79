import { TrailscopeError, errorCodeOf } from '@trailscope/model';
import { parseSearchRequest } from './search-request';
import { toDsl } from './to-dsl';
import { QUERY_LIMITS, TEXT_QUERY_FLAGS, textTerms } from './query-cost';

const NOW = Date.parse('2026-03-10T00:00:00.000Z');
const build = (input: object) => toDsl(parseSearchRequest(input), {}, { nowMs: NOW });

function refusal(input: object): TrailscopeError {
  try {
    build(input);
  } catch (err) {
    expect(errorCodeOf(err)).toBe('QUERY_TOO_COSTLY');
    return err as TrailscopeError;
  }
  throw new Error(`accepted ${JSON.stringify(input).slice(0, 80)}`);
}

describe('the cost model of search filters', () => {
  it('refuses more suffix-matched names than the limit, naming the field and the limit', () => {
    const names = Array.from({ length: 50 }, (_, i) => `${'u'.repeat(1990)}${i}`);
    const err = refusal({ users: names });
    expect(err.context).toEqual({ field: 'users', limit: QUERY_LIMITS.suffixValues });
    expect(err.message).toMatch(/^users: at most 10 names/);
    expect(refusal({ resourceNames: names.slice(0, 11).map((n) => n.slice(0, 20)) }).context.field).toBe('resourceNames');
  });

  it('refuses a suffix-matched name longer than the limit, and accepts it as an ARN', () => {
    const err = refusal({ users: ['x'.repeat(QUERY_LIMITS.suffixValueChars + 1)] });
    expect(err.context).toEqual({ field: 'users', limit: QUERY_LIMITS.suffixValueChars });
    expect(() => build({ users: [`arn:aws:iam::111111111111:user/${'x'.repeat(1500)}`] })).not.toThrow();
    expect(() => build({ users: Array.from({ length: 150 }, (_, i) => `arn:aws:iam::111111111111:user/u${i}`) })).not.toThrow();
    expect(() => build({ users: Array.from({ length: 10 }, (_, i) => `${'n'.repeat(QUERY_LIMITS.suffixValueChars - 1)}${i}`) })).not.toThrow();
  });

  it('bounds the user agent substring', () => {
    expect(refusal({ userAgent: 'a'.repeat(QUERY_LIMITS.userAgentChars + 1) }).context).toEqual({ field: 'userAgent', limit: QUERY_LIMITS.userAgentChars });
    expect(() => build({ userAgent: 'a'.repeat(QUERY_LIMITS.userAgentChars) })).not.toThrow();
  });

  it('caps the terms of free text and leaves fuzzy, prefix and slop operators out', () => {
    const fuzzy = Array.from({ length: 56 }, (_, i) => `term${i}~2`).join(' ');
    expect(refusal({ text: fuzzy }).context).toEqual({ field: 'text', limit: QUERY_LIMITS.textTerms });
    const dsl = build({ text: 'AccessDenied~2 +"bucket logs"~3 admin*' }) as { bool: { filter: Array<Record<string, { flags?: string }>> } };
    const sqs = dsl.bool.filter.find((c) => c.simple_query_string)?.simple_query_string;
    expect(sqs?.flags).toBe(TEXT_QUERY_FLAGS);
    expect(TEXT_QUERY_FLAGS.split('|')).not.toEqual(expect.arrayContaining(['FUZZY']));
    for (const flag of ['FUZZY', 'PREFIX', 'SLOP', 'NEAR', 'ALL']) expect(TEXT_QUERY_FLAGS.split('|')).not.toContain(flag);
  });

  it('counts text terms as simple_query_string splits them', () => {
    expect(textTerms('  a +b -c | d ("e f") g|h ')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    // every alternative is a term matched over every field
    expect(refusal({ text: Array.from({ length: 17 }, (_, i) => `a${i}|b${i}`).join(' ') }).context.field).toBe('text');
    expect(() => build({ text: Array.from({ length: QUERY_LIMITS.textTerms }, (_, i) => `t${i}`).join(' ') })).not.toThrow();
  });
});
