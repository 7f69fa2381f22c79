#!/usr/bin/env node
'use strict';
/*
 * What a production install (`npm ci --omit=dev`, as the Docker image runs) brings in must hold no development
 * tooling: neither the S3 test server (s3rver) nor testcontainers.
 *
 *   node scripts/runtime-deps.js                      walks package-lock.json from the workspaces' runtime dependencies
 *   node scripts/runtime-deps.js --installed DIR      looks for the packages in DIR/node_modules (the image's tree)
 *
 * The lockfile walk resolves each dependency the way Node does (the nearest node_modules up the path), so it reports
 * the chain that brings a forbidden package in; it also checks npm's own `dev` flag on every copy of one, which is
 * what `--omit=dev` obeys. Exit 0 when clean, 1 with the chains otherwise.
 */
const fs = require('node:fs');
const path = require('node:path');

const FORBIDDEN = ['s3rver', 'testcontainers'];
const RUNTIME_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'];

/** The directory whose node_modules holds `location` (a workspace folder's is the root's); undefined above the root. */
function parentOf(location) {
  if (location === '') return undefined;
  const i = location.lastIndexOf('/node_modules/');
  return i >= 0 ? location.slice(0, i) : '';
}

/** The lockfile location Node would load `name` from when required by the package at `from`. */
function resolveIn(packages, from, name) {
  for (let dir = from; dir !== undefined; dir = parentOf(dir)) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
  }
  return undefined;
}

/**
 * Every package location a production install of the lockfile's root holds, each with the chain of package names
 * that reaches it. Workspaces count as runtime dependencies of the root: npm installs each one's runtime tree.
 */
function runtimeClosure(lock) {
  const packages = lock.packages || {};
  const root = packages[''] || {};
  const workspaces = Object.keys(packages).filter((loc) => loc !== '' && !loc.includes('node_modules/') && packages[loc] && packages[loc].name);
  const reached = new Map();
  const queue = [];
  const visit = (location, chain) => {
    if (reached.has(location)) return;
    reached.set(location, chain);
    queue.push(location);
  };
  for (const field of RUNTIME_FIELDS) for (const name of Object.keys(root[field] || {})) {
    const loc = resolveIn(packages, '', name);
    if (loc) visit(loc, [name]);
  }
  for (const ws of workspaces) visit(ws, [packages[ws].name]);
  while (queue.length > 0) {
    const location = queue.shift();
    let entry = packages[location];
    let from = location;
    if (entry.link && entry.resolved) {
      from = entry.resolved;
      entry = packages[entry.resolved] || {};
    }
    for (const field of RUNTIME_FIELDS) {
      for (const name of Object.keys(entry[field] || {})) {
        const loc = resolveIn(packages, from, name);
        // an optional or peer dependency the lockfile does not hold is simply not installed
        if (loc) visit(loc, [...reached.get(location), name]);
      }
    }
  }
  return reached;
}

const nameAt = (location) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Problems found in a parsed package-lock.json: chains reaching a forbidden package, copies not flagged dev. */
function checkLockfile(lock, forbidden = FORBIDDEN) {
  const problems = [];
  for (const [location, chain] of runtimeClosure(lock)) {
    if (forbidden.includes(nameAt(location))) problems.push(`${nameAt(location)} is a runtime dependency: ${chain.join(' -> ')}`);
  }
  for (const [location, entry] of Object.entries(lock.packages || {})) {
    if (location.includes('node_modules/') && forbidden.includes(nameAt(location)) && entry.dev !== true) {
      problems.push(`${location} is not flagged "dev" in package-lock.json, so \`npm ci --omit=dev\` installs it`);
    }
  }
  return [...new Set(problems)];
}

/** Problems found in an installed tree: any directory node_modules/<forbidden>, at any depth. */
function checkInstalled(dir, forbidden = FORBIDDEN) {
  const problems = [];
  const walk = (modulesDir) => {
    let entries;
    try {
      entries = fs.readdirSync(modulesDir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() && !e.isSymbolicLink()) continue;
      const full = path.join(modulesDir, e.name);
      if (e.name.startsWith('@')) {
        walk(full);
        continue;
      }
      const name = path.relative(path.dirname(full), full);
      const scoped = path.basename(path.dirname(full)).startsWith('@') ? `${path.basename(path.dirname(full))}/${name}` : name;
      if (forbidden.includes(scoped)) problems.push(`${full} is installed`);
      if (e.isDirectory()) walk(path.join(full, 'node_modules'));
    }
  };
  walk(path.join(dir, 'node_modules'));
  for (const ws of fs.existsSync(path.join(dir, 'packages')) ? fs.readdirSync(path.join(dir, 'packages')) : []) {
    walk(path.join(dir, 'packages', ws, 'node_modules'));
  }
  return problems;
}

function main(argv) {
  const i = argv.indexOf('--installed');
  let problems;
  let what;
  if (i >= 0) {
    const dir = argv[i + 1];
    if (!dir) {
      process.stderr.write('runtime-deps: --installed needs a directory\n');
      return 2;
    }
    what = `${path.join(dir, 'node_modules')}`;
    problems = checkInstalled(dir);
  } else {
    const file = path.resolve(__dirname, '..', 'package-lock.json');
    what = 'the runtime dependencies in package-lock.json';
    problems = checkLockfile(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  if (problems.length > 0) {
    process.stderr.write(`runtime-deps: development tooling in ${what}:\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return 1;
  }
  process.stdout.write(`runtime-deps: ${what}: no ${FORBIDDEN.join(', no ')}\n`);
  return 0;
}

module.exports = { FORBIDDEN, runtimeClosure, checkLockfile, checkInstalled };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
