import * as path from 'node:path';
import { DEFAULT_STACK_DIR, parseEnvFile, readStackEnv, resolveStackDir } from './stack-env';

describe('stack.env', () => {
  it('parseEnvFile reads KEY=value lines, skipping blanks, comments and lines without a key', () => {
    expect(parseEnvFile('# c\n\nA=1\r\n B = x=y \n=nokey\nnoequals\nC=\n')).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  it('resolveStackDir: the flag, else TRAILSCOPE_STACK_DIR, else the default under the working directory', () => {
    expect(resolveStackDir('/a', { TRAILSCOPE_STACK_DIR: '/b' })).toBe('/a');
    expect(resolveStackDir(undefined, { TRAILSCOPE_STACK_DIR: '/b' })).toBe('/b');
    expect(resolveStackDir(undefined, {})).toBe(path.resolve(DEFAULT_STACK_DIR));
  });

  it('readStackEnv of a directory without stack.env is empty', () => {
    expect(readStackEnv('/nonexistent/trailscope-stack')).toEqual({});
  });
});
