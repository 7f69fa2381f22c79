import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { TrailscopeError } from '@trailscope/model';

export interface DetachedSpawn {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a process in its own process group with output appended to its log file, and lets this process exit
 * without it: the stack outlives the `stack up` command that started it.
 */
export async function spawnDetached(options: DetachedSpawn): Promise<{ pid: number; logOffset: number }> {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logOffset = fileSize(options.logFile);
  const fd = fs.openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    // Surfaces ENOENT and friends as a rejection instead of an unhandled 'error' event.
    await once(child, 'spawn');
    child.unref();
    if (child.pid === undefined) throw new Error(`no pid for ${options.command}`);
    return { pid: child.pid, logOffset };
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TrailscopeError('STACK_START_FAILED', `cannot start ${options.command}${missing ? ': command not found' : ''}`, {
      cause,
      context: { command: options.command, log: options.logFile },
    });
  } finally {
    fs.closeSync(fd);
  }
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The process's command line, or undefined when it does not exist (or is a zombie waiting to be reaped). */
export function commandLineOf(pid: number): string | undefined {
  if (fs.existsSync('/proc/self/cmdline')) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The state letter follows the parenthesised command name, which may itself contain spaces.
      const stateLetter = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (stateLetter === 'Z' || stateLetter === 'X') return undefined;
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'stat=,args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (!out || out.startsWith('Z')) return undefined;
    return out.replace(/^\S+\s+/, '');
  } catch {
    return undefined;
  }
}

/** A substring the command line must contain, or a list of alternatives of which one must appear. */
export type Marker = string | string[];

/**
 * True when `pid` is alive and its command line carries every marker: a recorded pid alone is not proof, since
 * the system may have given it to an unrelated process after ours died.
 */
export function isOwnedProcess(pid: number | undefined, markers: Marker[]): pid is number {
  if (pid === undefined) return false;
  const cmd = commandLineOf(pid);
  if (cmd === undefined) return false;
  return markers.every((m) => (Array.isArray(m) ? m.some((alt) => cmd.includes(alt)) : cmd.includes(m)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Our children lead their own process group (spawned detached), so the group takes any helpers with them.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a process we started: SIGTERM to its group, wait up to `graceMs`, then SIGKILL. Does nothing unless the
 * pid still carries our markers. Returns true if a process was stopped.
 */
export async function stopOwnedProcess(pid: number | undefined, markers: Marker[], graceMs: number): Promise<boolean> {
  if (!isOwnedProcess(pid, markers)) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOwnedProcess(pid, markers)) return true;
    await sleep(200);
  }
  if (isOwnedProcess(pid, markers)) signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 10000;
  while (Date.now() < killDeadline) {
    if (!isOwnedProcess(pid, markers)) return true;
    await sleep(100);
  }
  throw new TrailscopeError('STACK_START_FAILED', `process ${pid} did not exit after SIGKILL`, { context: { pid } });
}

/** The last lines of a log written since `offset`, for error messages. */
export function logTail(file: string, offset = 0, lines = 15): string {
  try {
    const size = fileSize(file);
    const start = Math.max(offset, size - 16384);
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** "see <log>" plus its last lines when there are any: the error a user reads first should show the cause. */
export function seeLog(file: string, offset = 0): string {
  const tail = logTail(file, offset);
  return tail ? `see ${file}:\n${tail}` : `see ${file}`;
}

export function readLogSince(file: string, offset: number): string {
  try {
    const size = fileSize(file);
    if (size <= offset) return '';
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
