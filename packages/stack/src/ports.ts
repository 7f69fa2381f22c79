import * as net from 'node:net';
import { TrailscopeError } from '@trailscope/model';

/** True when nothing listens on 127.0.0.1:port (and we may bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the system considers free right now; the caller binds it soon after, so a race is unlikely but possible. */
export function ephemeralPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free, else a fresh ephemeral port: keeps endpoints stable across restarts when possible. */
export async function preferredOrFreePort(preferred: number | undefined): Promise<number> {
  if (preferred !== undefined && (await isPortFree(preferred))) return preferred;
  return ephemeralPort();
}

/**
 * The first base in [from, to] such that base+1 .. base+count are all free. OpenSearch runner numbers nodes from
 * 1 and gives node i the HTTP port base+i.
 */
export async function findFreeBase(from: number, to: number, count: number, preferredBase?: number): Promise<number> {
  const allFree = async (base: number) => {
    for (let i = 1; i <= count; i += 1) if (!(await isPortFree(base + i))) return false;
    return true;
  };
  if (preferredBase !== undefined && preferredBase >= from && preferredBase <= to && (await allFree(preferredBase))) return preferredBase;
  for (let base = from; base <= to; base += 1) if (await allFree(base)) return base;
  throw new TrailscopeError('STACK_START_FAILED', `no ${count} free consecutive ports between ${from + 1} and ${to + count} for OpenSearch HTTP`, {
    context: { from, to, count },
  });
}

/** `count` free ports from [from, to], keeping the preferred ones that are still free. */
export async function findFreePorts(from: number, to: number, count: number, preferred: number[] = []): Promise<number[]> {
  const chosen: number[] = [];
  for (const p of preferred) {
    if (chosen.length < count && p >= from && p <= to && !chosen.includes(p) && (await isPortFree(p))) chosen.push(p);
  }
  for (let p = from; p <= to && chosen.length < count; p += 1) {
    if (!chosen.includes(p) && (await isPortFree(p))) chosen.push(p);
  }
  if (chosen.length < count) {
    throw new TrailscopeError('STACK_START_FAILED', `no ${count} free ports between ${from} and ${to} for OpenSearch transport`, {
      context: { from, to, count },
    });
  }
  return chosen;
}
