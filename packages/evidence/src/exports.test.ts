import * as path from 'node:path';
import { checkExportList } from '../../../test/support/export-list';

describe('@trailscope/evidence exports', () => {
  it('are exactly the checked-in list (packages/evidence/exports.txt), by name, without export *', () => {
    const { actual, expected, how } = checkExportList(path.resolve(__dirname, '..'));
    expect({ how, exports: actual }).toEqual({ how, exports: expected });
    expect(actual.filter((n) => n.startsWith('*'))).toEqual([]);
  });
});
