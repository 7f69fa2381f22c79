import { InvalidArgumentError } from 'commander';
import { parseBoolean, parseList, parsePort, parsePositiveInt } from './value-parsers';

describe('flag value parsers', () => {
  it('parseList collects repeated and comma-separated values alike', () => {
    expect(parseList('b', parseList('a'))).toEqual(['a', 'b']);
    expect(parseList('a, b,')).toEqual(['a', 'b']);
    expect(parseList('c,d', ['a'])).toEqual(['a', 'c', 'd']);
  });

  it('parseList keeps a quoted item whole and a stray quote literal', () => {
    expect(parseList('"svc,deploy",alice')).toEqual(['svc,deploy', 'alice']);
    expect(parseList('arn:aws:s3:::b/"odd" key')).toEqual(['arn:aws:s3:::b/"odd" key']);
  });

  it('parseList refuses a value without any item rather than reading it as no filter', () => {
    for (const v of ['', ' ', ',', ' , ']) expect(() => parseList(v)).toThrow(InvalidArgumentError);
    expect(() => parseList('a\nb')).toThrow(/one line/);
  });

  it('parsePositiveInt accepts decimal integers from 1 and refuses the rest', () => {
    expect(parsePositiveInt('4')).toBe(4);
    expect(parsePositiveInt(' 12 ')).toBe(12);
    for (const v of ['0', '-1', '1.5', '1e3', '0x10', '', 'ten', '99999999999999999999']) {
      expect(() => parsePositiveInt(v)).toThrow(InvalidArgumentError);
    }
  });

  it('parseBoolean and parsePort', () => {
    expect([parseBoolean('true'), parseBoolean('false')]).toEqual([true, false]);
    expect(() => parseBoolean('yes')).toThrow(/true or false/);
    expect([parsePort('0'), parsePort('65535')]).toEqual([0, 65535]);
    expect(() => parsePort('65536')).toThrow(InvalidArgumentError);
  });
});
