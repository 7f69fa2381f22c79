import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The names a package's src/index.ts exports, one per line, `type ` before type-only ones, sorted; `export *` lines
 * come out as `* from './x'` so that a test can refuse them.
 */
export function exportList(packageDir: string): string[] {
  const file = path.join(packageDir, 'src', 'index.ts');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const st of source.statements) {
    if (ts.isExportDeclaration(st)) {
      if (!st.exportClause) names.push(`* from ${st.moduleSpecifier?.getText() ?? ''}`);
      else if (ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) names.push(`${st.isTypeOnly || el.isTypeOnly ? 'type ' : ''}${el.name.text}`);
      } else names.push(`* as ${st.exportClause.name.text}`);
    } else if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      const isType = ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st);
      if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) names.push(d.name.getText());
      else if ('name' in st && st.name) names.push(`${isType ? 'type ' : ''}${(st.name as ts.Identifier).text}`);
    }
  }
  return names.sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
}

/**
 * Compares a package's exports with the list checked in beside it (`exports.txt`). With UPDATE_EXPORTS=1 the list
 * is rewritten instead, for a deliberate change of the package's API.
 */
export function checkExportList(packageDir: string): { actual: string[]; expected: string[]; how: string } {
  const listFile = path.join(packageDir, 'exports.txt');
  const actual = exportList(packageDir);
  const rel = path.relative(path.resolve(__dirname, '..', '..'), packageDir);
  if (process.env.UPDATE_EXPORTS === '1') fs.writeFileSync(listFile, `${actual.join('\n')}\n`);
  const expected = fs.existsSync(listFile) ? fs.readFileSync(listFile, 'utf8').split('\n').filter((l) => l !== '') : [];
  const how =
    `${rel}/src/index.ts exports what other packages import, by name. To export a name another package now needs, add it ` +
    `to ${rel}/src/index.ts, then run \`UPDATE_EXPORTS=1 npx jest --selectProjects unit ${rel}/src/exports.test.ts\` ` +
    `and commit ${rel}/exports.txt with it. Never \`export *\`.`;
  return { actual, expected, how };
}
