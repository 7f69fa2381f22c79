/**
 * The production image runs `npm ci --omit=dev`: what that installs must hold neither the S3 test server (s3rver)
 * nor testcontainers. Checked on the real package-lock.json, and on made-up lockfiles to show the check catches
 * each way such a package gets in.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/env';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'runtime-deps.js');
const { checkLockfile, checkInstalled, runtimeClosure } = require(SCRIPT) as {
  checkLockfile: (lock: unknown) => string[];
  checkInstalled: (dir: string) => string[];
  runtimeClosure: (lock: unknown) => Map<string, string[]>;
};

function lockfile(stackDeps: Record<string, string>, s3rverFlags: Record<string, unknown> = { dev: true }) {
  return {
    lockfileVersion: 3,
    packages: {
      '': { name: 'trailscope', workspaces: ['packages/stack', 'packages/cli'], devDependencies: { jest: '^30' } },
      'packages/cli': { name: '@trailscope/cli', dependencies: { '@trailscope/stack': '0.1.0', commander: '^14' } },
      'packages/stack': { name: '@trailscope/stack', dependencies: stackDeps, devDependencies: { s3rver: '^3.7.1' } },
      'node_modules/@trailscope/cli': { resolved: 'packages/cli', link: true },
      'node_modules/@trailscope/stack': { resolved: 'packages/stack', link: true },
      'node_modules/commander': { version: '14.0.3' },
      'node_modules/jest': { version: '30.0.0', dev: true },
      'node_modules/s3rver': { version: '3.7.1', dependencies: { koa: '^2' }, ...s3rverFlags },
      'node_modules/s3rver/node_modules/koa': { version: '2.0.0', dev: true },
      'node_modules/left-pad': { version: '1.0.0', dependencies: { s3rver: '^3' } },
    },
  };
}

describe('the runtime dependency graph', () => {
  it('of this repository holds neither s3rver nor testcontainers', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    expect(checkLockfile(lock)).toEqual([]);
    // and the walk reaches the runtime packages it should (so an empty answer is not an empty walk)
    const reached = [...runtimeClosure(lock).keys()];
    expect(reached).toEqual(expect.arrayContaining(['packages/cli', 'packages/stack', 'node_modules/@aws-sdk/client-s3', 'node_modules/ioredis', 'packages/cli/node_modules/commander']));
    expect(reached).not.toContain('node_modules/jest');
  });

  it('the script exits 0 on this repository and says what it checked', () => {
    const res = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('no s3rver, no testcontainers');
  });

  it('a devDependency-only package is not runtime', () => {
    expect(checkLockfile(lockfile({ zod: '^4' }))).toEqual([]);
  });

  it('reports the chain when a workspace depends on it at runtime', () => {
    const problems = checkLockfile(lockfile({ s3rver: '^3.7.1' }, {}));
    expect(problems).toContain('s3rver is a runtime dependency: @trailscope/stack -> s3rver');
  });

  it('reports a copy npm would install because the lockfile does not flag it dev', () => {
    expect(checkLockfile(lockfile({ zod: '^4' }, {}))).toEqual(['node_modules/s3rver is not flagged "dev" in package-lock.json, so `npm ci --omit=dev` installs it']);
  });

  it('follows third-party packages too, resolving nested copies first', () => {
    const lock = lockfile({ 'left-pad': '^1' }, {});
    expect(checkLockfile(lock)).toContain('s3rver is a runtime dependency: @trailscope/stack -> left-pad -> s3rver');
  });
});

describe('an installed tree', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-runtime-deps-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is clean without them, and each copy is reported at any depth', () => {
    fs.mkdirSync(path.join(dir, 'node_modules', '@aws-sdk', 'client-s3'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'node_modules', 'ioredis'), { recursive: true });
    expect(checkInstalled(dir)).toEqual([]);
    fs.mkdirSync(path.join(dir, 'node_modules', 'ioredis', 'node_modules', 'testcontainers'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'packages', 'stack', 'node_modules', 's3rver'), { recursive: true });
    expect(checkInstalled(dir).sort()).toEqual([
      `${path.join(dir, 'node_modules', 'ioredis', 'node_modules', 'testcontainers')} is installed`,
      `${path.join(dir, 'packages', 'stack', 'node_modules', 's3rver')} is installed`,
    ]);
  });
});
