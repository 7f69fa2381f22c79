/**
 * Bounds the points in time each principal (API key) holds open. Every point in time holds search contexts on the
 * cluster's nodes until it is released or its keep-alive passes, and the nodes refuse new ones past their limit
 * (search.max_open_pit_context): one caller must not use them all. Counted in this process; a point in time the
 * caller stops paging through counts until its keep-alive would have expired it.
 */
export interface PitLimiter {
  /** Room for one more point in time of `principal`, reserved at once (so concurrent pages cannot overshoot); undefined at the limit. */
  reserve(principal: string): PitReservation | undefined;
  /** A point in time read again (keep-alive extended): counted until the new expiry, also when another process opened it. */
  touch(principal: string, pitId: string, keepAliveMs: number): void;
  /** A point in time closed or found gone. */
  release(principal: string, pitId: string): void;
  /** Points in time `principal` holds now. */
  openCount(principal: string): number;
}

export interface PitReservation {
  /** The point in time was opened: it counts under its id until its keep-alive passes. */
  bind(pitId: string, keepAliveMs: number): void;
  /** It could not be opened: the room is free again. */
  cancel(): void;
}

/** A reservation never bound (a bug, a hung request) frees itself after this long. */
const RESERVATION_MS = 120_000;

export function createPitLimiter(options: { maxPerPrincipal: number; nowMs?: () => number }): PitLimiter {
  const max = options.maxPerPrincipal;
  const now = options.nowMs ?? Date.now;
  // principal -> slot key (pit id, or a reservation token) -> expiry
  const open = new Map<string, Map<string | symbol, number>>();

  const slotsOf = (principal: string): Map<string | symbol, number> => {
    let slots = open.get(principal);
    if (!slots) {
      slots = new Map();
      open.set(principal, slots);
    }
    const t = now();
    for (const [k, expiresAt] of slots) if (expiresAt <= t) slots.delete(k);
    return slots;
  };
  const forget = (principal: string, slots: Map<string | symbol, number>) => {
    if (slots.size === 0) open.delete(principal);
  };

  return {
    reserve(principal) {
      const slots = slotsOf(principal);
      if (slots.size >= max) return undefined;
      const token = Symbol('reservation');
      slots.set(token, now() + RESERVATION_MS);
      let settled = false;
      return {
        bind(pitId, keepAliveMs) {
          if (settled) return;
          settled = true;
          const s = slotsOf(principal);
          s.delete(token);
          s.set(pitId, now() + keepAliveMs);
        },
        cancel() {
          if (settled) return;
          settled = true;
          const s = slotsOf(principal);
          s.delete(token);
          forget(principal, s);
        },
      };
    },
    touch(principal, pitId, keepAliveMs) {
      slotsOf(principal).set(pitId, now() + keepAliveMs);
    },
    release(principal, pitId) {
      const slots = slotsOf(principal);
      slots.delete(pitId);
      forget(principal, slots);
    },
    openCount(principal) {
      const slots = slotsOf(principal);
      const n = slots.size;
      forget(principal, slots);
      return n;
    },
  };
}

/** OpenSearch time units as used for keep_alive (`30s`, `5m`, `1h`, `500ms`), in milliseconds. */
export function keepAliveMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new Error(`keep-alive "${value}" is not a time such as 5m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
