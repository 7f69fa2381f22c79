import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PeakRssSampler } from './proc-memory';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The trailscope CLI as operators run it. */
export const CLI_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'trailscope.js');

export function childScript(name: string): string {
  return path.join(__dirname, 'children', `${name}.js`);
}

export interface NodeProcessOptions {
  args: string[];
  env: NodeJS.ProcessEnv;
  /** When set, the child writes a V8 CPU profile there on exit. */
  profileDir?: string;
  /** Names the process in errors and profile files. */
  label: string;
}

export interface RunningNode {
  child: ChildProcess;
  pid: number;
  sampler: PeakRssSampler;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `node <args>` with its peak RSS sampled from /proc. */
export function startNode(options: NodeProcessOptions): RunningNode {
  const execArgv = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${options.label}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...execArgv, ...options.args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${options.label}: could not start node ${options.args.join(' ')}`);
  const pid = child.pid;
  const sampler = new PeakRssSampler(pid).start();
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-65536);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      sampler.stop();
      resolve(code ?? (signal ? 128 : null));
    });
  });
  return {
    child,
    pid,
    sampler,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      sampler.sample();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a node child to completion; rejects with its stderr tail when it exits non-zero. */
export async function runNode(
  options: NodeProcessOptions,
): Promise<{ stdout: string; stderr: string; peakRssBytes: number; cpuSeconds: number; wallSeconds: number; exitCode: number | null }> {
  const t0 = performance.now();
  const p = startNode(options);
  const exitCode = await p.exited;
  const wallSeconds = (performance.now() - t0) / 1000;
  if (exitCode !== 0) {
    throw new Error(`${options.label} exited with ${String(exitCode)}: ${p.stderr().trim().split('\n').slice(-5).join(' | ')}`);
  }
  // CPU as last sampled while the process ran: the final sampling interval before its exit is not counted
  return { stdout: p.stdout(), stderr: p.stderr(), peakRssBytes: p.sampler.peakBytes, cpuSeconds: p.sampler.cpuSeconds, wallSeconds, exitCode };
}

/** The last non-empty stdout line parsed as JSON (the machine-readable summary of CLI commands and children). */
export function lastJsonLine(stdout: string, label: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').filter(Boolean).pop();
  if (!line) throw new Error(`${label}: printed no summary line`);
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`${label}: last output line is not JSON: ${line.slice(0, 200)}`);
  }
}
