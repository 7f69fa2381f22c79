import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleFiles, loadRuleText, MAX_RULE_FILE_BYTES } from './load-rules';
import { ruleText } from './semantics.cases';
import type { SingleEventRule } from './types';

const GOOD = ruleText('    sel:\n        eventName: A\n    condition: sel\n', 'good-rule');

function single(text: string): SingleEventRule {
  const r = loadRuleText(text, 'x.yml');
  expect(r.refused).toEqual([]);
  return r.rules[0] as SingleEventRule;
}

describe('rule files are untrusted input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-untrusted-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a YAML alias bomb, naming the file and line, and still loads the good rule beside it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = `title: bomb\nid: bomb\nlogsource: {product: aws, service: cloudtrail}\n${levels.join('\n')}\ndetection:\n    sel:\n        eventName: *l\n    condition: sel\n`;
    const r = loadRuleText(`${bomb}---\n${GOOD}`, 'bomb.yml');
    expect(r.rules.map((x) => x.id)).toEqual(['good-rule']);
    expect(r.refused).toEqual([expect.objectContaining({ file: 'bomb.yml', line: expect.any(Number), reason: expect.stringMatching(/more than 100000 nodes/) })]);
  });

  it('refuses a 10 MB file unread, naming it, and loads the other files', async () => {
    const big = join(dir, 'big.yml');
    await writeFile(big, `${GOOD}\n# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    await writeFile(join(dir, 'good.yml'), GOOD);
    const r = await loadRuleFiles([dir]);
    expect(r.rules.map((x) => x.id)).toEqual(['good-rule']);
    expect(r.refused).toEqual([{ file: big, reason: expect.stringMatching(new RegExp(`over the limit of ${MAX_RULE_FILE_BYTES}`)) }]);
    expect(loadRuleText('x'.repeat(MAX_RULE_FILE_BYTES + 1), 'big-text.yml').refused[0]).toEqual({ file: 'big-text.yml', reason: expect.stringMatching(/over the limit/) });
  }, 60_000);

  it('refuses a condition nested 1,000 levels deep with the file and line', () => {
    const deep = `${'('.repeat(1000)}sel${')'.repeat(1000)}`;
    const notDeep = `${'not '.repeat(1000)}sel`;
    for (const cond of [deep, notDeep]) {
      const r = loadRuleText(ruleText(`    sel:\n        eventName: A\n    condition: ${cond}\n`, 'deep'), 'deep.yml');
      expect(r.rules).toEqual([]);
      expect(r.refused).toEqual([expect.objectContaining({ file: 'deep.yml', line: 9, id: 'deep', reason: expect.stringMatching(/nested deeper than 64 levels/) })]);
    }
  });

  it('runs a catastrophic-backtracking pattern in linear time (RE2): a long hostile value is decided', () => {
    const rule = single(ruleText("    sel:\n        userAgent|re: '^(a+)+$'\n    condition: sel\n", 'redos'));
    const hostile = `${'a'.repeat(100_000)}b`;
    expect(rule.match({ userAgent: hostile })).toBe(false);
    expect(rule.match({ userAgent: 'a'.repeat(100_000) })).toBe(true);
  });

  it('refuses patterns RE2 cannot run (backreferences, lookaround) with the file and line', () => {
    const r = loadRuleText(ruleText("    sel:\n        userAgent|re: '(a)\\1'\n    sel2:\n        eventName|re: '(?=x)'\n    condition: sel or sel2\n", 'backref'), 'backref.yml');
    expect(r.refused).toEqual([expect.objectContaining({ file: 'backref.yml', line: 8, reason: expect.stringMatching(/userAgent\|re: .*RE2/) })]);
  });
});

describe('refusals name the file, the line and the construct; other rules still load', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['YAML error', 'title: x\nid: y\nid: z\n', 3, /^YAML: Map keys must be unique/],
    ['YAML syntax error', 'title: x\nid: y\n  - : bad\n', 2, /^YAML: Nested mappings/],
    ['unknown modifier', ruleText('    sel:\n        eventName|wide: A\n    condition: sel\n', 'r'), 8, /unsupported modifier \|wide/],
    ['unknown identifier', ruleText('    sel:\n        eventName: A\n    condition: sel and other\n', 'r'), 9, /unknown identifier "other"/],
    ['v1 aggregation', ruleText('    sel:\n        eventName: A\n    condition: sel | count() > 5\n', 'r'), 9, /use a correlation rule/],
    ['1 of nothing', ruleText('    sel:\n        eventName: A\n    condition: 1 of filter_*\n', 'r'), 9, /"filter_\*" matches no detection identifier/],
    ['bad cidr', ruleText('    sel:\n        sourceIPAddress|cidr: 10.0.0.0/99\n    condition: sel\n', 'r'), 8, /not an IPv4 or IPv6 network/],
    ['no condition', ruleText('    sel:\n        eventName: A\n', 'r'), 7, /no condition/],
    ['bad level', ruleText('    sel:\n        eventName: A\n    condition: sel\n', 'r').replace('level: low', 'level: severe'), 10, /level "severe"/],
    ['exists without boolean', ruleText('    sel:\n        eventName|exists: maybe\n    condition: sel\n', 'r'), 8, /needs true or false/],
    ['modifier clash', ruleText('    sel:\n        eventName|contains|startswith: A\n    condition: sel\n', 'r'), 8, /exclude each other/],
    ['timeframe', ruleText('    sel:\n        eventName: A\n    timeframe: 5m\n    condition: sel\n', 'r'), 9, /timeframe/],
    ['v1 collection', 'action: global\ntitle: x\n', 1, /action "global"/],
  ];
  it.each(cases)('%s', (_name, text, line, reason) => {
    const r = loadRuleText(`${text}\n---\n${GOOD}`, 'bad.yml');
    expect(r.refused).toEqual([expect.objectContaining({ file: 'bad.yml', line, reason: expect.stringMatching(reason) })]);
    expect(r.rules.map((x) => x.id)).toEqual(['good-rule']);
  });

  it('skips rules of other log sources and reports them', () => {
    const r = loadRuleText(GOOD.replace('service: cloudtrail', 'service: s3access'), 's3.yml');
    expect(r.rules).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ file: 's3.yml', id: 'good-rule', reason: expect.stringMatching(/not aws \/ cloudtrail/) })]);
  });

  it('refuses a duplicate id with where it was first defined', () => {
    const r = loadRuleText(`${GOOD}---\n${GOOD}`, 'dup.yml');
    expect(r.rules).toHaveLength(1);
    expect(r.refused).toEqual([expect.objectContaining({ reason: 'rule id good-rule is already defined at dup.yml:1' })]);
  });

  it('reports a missing path and goes on', async () => {
    const r = await loadRuleFiles(['/nonexistent/rules.yml']);
    expect(r.refused).toEqual([{ file: '/nonexistent/rules.yml', reason: 'cannot read: ENOENT' }]);
  });

  it('gives each rule a version that changes with its text', () => {
    const a = single(GOOD);
    const b = single(GOOD.replace('eventName: A', 'eventName: B'));
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(a.version).not.toBe(b.version);
    expect(single(GOOD).version).toBe(a.version);
  });
});
