#!/usr/bin/env node
'use strict';
/*
 * `trailscope worker` runs for weeks and streams log files of any size. Left alone, V8 lets its heap grow far past
 * what the worker keeps alive (hundreds of MB of garbage headroom on a large machine), so the worker runs with a capped
 * old space: TRAILSCOPE_WORKER_HEAP_MB (default 192; 0 leaves Node's default). Node reads that limit only at start,
 * hence the one re-execution. The child exits when this process disappears, even by SIGKILL, so killing the worker
 * never leaves an orphan processing jobs.
 */
// On Node 20 the AWS SDK prints a NodeVersionSupportWarning on every command that builds a client: SDK releases after
// January 2027 will need Node 22. The SDK pinned by package-lock.json runs on Node 20, which the suite is tested on,
// so the notice is noise on stderr that scripts read. This is the SDK's own switch; an operator's setting wins, and
// worker children inherit it.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--dir', '--namespace']);

function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (GLOBAL_OPTIONS_WITH_VALUE.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

function workerHeapMb() {
  const raw = process.env.TRAILSCOPE_WORKER_HEAP_MB;
  if (raw === undefined || raw === '') return 192;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`trailscope: error [CONFIG_INVALID]: invalid TRAILSCOPE_WORKER_HEAP_MB: "${raw}" is not a whole number of MiB\n`);
    process.exit(78);
  }
  return n;
}

const args = process.argv.slice(2);
const isWorkerChild = process.env.TRAILSCOPE_WORKER_CHILD === '1';
const heapMb = !isWorkerChild && commandOf(args) === 'worker' ? workerHeapMb() : 0;

// an operator's own limit (command line or NODE_OPTIONS) wins
const heapSetElsewhere = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'));

if (heapMb > 0 && !heapSetElsewhere) {
  const { spawn } = require('node:child_process');
  const { constants } = require('node:os');
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, __filename, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TRAILSCOPE_WORKER_CHILD: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
} else {
  if (isWorkerChild && process.connected) {
    // the IPC channel closes when the parent dies; keep it from holding the event loop open otherwise
    process.channel.unref();
    process.on('disconnect', () => process.exit(137));
  }
  require('../dist/bin.js');
}
