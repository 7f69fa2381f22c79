import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES } from './error-codes';

const README = path.resolve(__dirname, '..', '..', '..', 'README.md');

/** The rows of the table under README's "## Error codes" heading. */
function readmeRows(): Array<{ code: string; meaning: string; retried: string; http: string; exit: string }> {
  const text = fs.readFileSync(README, 'utf8');
  const section = text.split(/^## Error codes$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error(`README.md has no "## Error codes" section`);
  return section
    .split('\n')
    .filter((l) => /^\| `[A-Z_0-9]+` \|/.test(l))
    .map((l) => {
      const [code, meaning, retried, http, exit] = l.split('|').slice(1, -1).map((c) => c.trim());
      return { code: (code ?? '').replace(/`/g, ''), meaning: meaning ?? '', retried: retried ?? '', http: http ?? '', exit: exit ?? '' };
    });
}

describe("README's error-code table", () => {
  const HOW = 'Every code of packages/model/src/error-codes.ts needs one row in README.md under "## Error codes"';

  it('lists exactly the codes of the code table, in its order', () => {
    expect({ how: HOW, codes: readmeRows().map((r) => r.code) }).toEqual({ how: HOW, codes: Object.keys(ERROR_CODES) });
  });

  it('states each code as the table does: meaning, retried, HTTP status, exit code', () => {
    const byCode = new Map(readmeRows().map((r) => [r.code, r]));
    for (const [code, row] of Object.entries(ERROR_CODES)) {
      const readme = byCode.get(code);
      // the README may add a remark after the summary, e.g. "(dead-lettered)"
      const meaning = readme?.meaning.replace(/`/g, '') ?? '';
      expect({ code, summary: meaning.startsWith(row.summary) ? row.summary : meaning, retried: readme?.retried, http: readme?.http, exit: readme?.exit }).toEqual({
        code,
        summary: row.summary,
        retried: row.retryable ? 'yes' : 'no',
        http: String(row.httpStatus),
        exit: String(row.exitCode),
      });
    }
  });
});
