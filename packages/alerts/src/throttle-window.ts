import type { Names } from '@trailscope/model';
import type { Redis } from '@trailscope/runtime';

/**
 * Throttling state, kept in Redis past the window's end (until its summary can no longer be retried), written in
 * one script so a process killed at any point leaves either nothing or all of it:
 * - `<prefix>alerts:window:<rule>:<group key>`: the group's current window (`start`, `end`);
 * - `…@<start>`: the findings counted in that window (a set: a replayed finding counts once);
 * - `…@<start>#`: the window's first finding and end;
 * - `<prefix>alerts:window-of:<finding id>`: the window a finding was counted in.
 * A finding seen again (a detection pass replayed after a crash, even after its window ended) gets the window it was
 * counted in, so its alert keeps its id and its summary is still queued; it never opens a second window.
 */
const SCRIPT = `
local wk, fk = KEYS[1], KEYS[2]
local now, win, ttl, fid = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local start = redis.call('GET', fk)
if not start then
  local cur = redis.call('HMGET', wk, 'start', 'end')
  if cur[1] and cur[2] and tonumber(cur[2]) > now then
    start = cur[1]
  else
    start = tostring(now)
    redis.call('HSET', wk, 'start', start, 'end', tostring(now + win))
  end
  redis.call('PEXPIRE', wk, ttl)
  local mk = wk .. '@' .. start
  redis.call('HSETNX', mk .. '#', 'first', fid)
  redis.call('HSETNX', mk .. '#', 'end', tostring(tonumber(start) + win))
  redis.call('PEXPIRE', mk .. '#', ttl)
  redis.call('SADD', mk, fid)
  redis.call('PEXPIRE', mk, ttl)
  redis.call('SET', fk, start, 'PX', ttl)
end
local meta = redis.call('HMGET', wk .. '@' .. start .. '#', 'first', 'end')
return { start, meta[1] or '', meta[2] or '0' }
`;

export interface ThrottleWindow {
  startMs: number;
  endMs: number;
  /** The set of the findings counted in the window (its size is the summary's count). */
  membersKey: string;
  /** This finding opened the window: its alert, and the window's summary, are queued for it. */
  first: boolean;
}

export async function countInWindow(
  redis: Redis,
  names: Pick<Names, 'redisPrefix'>,
  t: { ruleId: string; groupKey: string; windowMs: number; keepMs: number },
  findingId: string,
  nowMs: number,
): Promise<ThrottleWindow> {
  const wk = `${names.redisPrefix}alerts:window:${t.ruleId}:${t.groupKey}`;
  const fk = `${names.redisPrefix}alerts:window-of:${findingId}`;
  const [start, first, end] = (await redis.eval(SCRIPT, 2, wk, fk, String(nowMs), String(t.windowMs), String(t.keepMs), findingId)) as [string, string, string];
  return { startMs: Number(start), endMs: Number(end), membersKey: `${wk}@${start}`, first: first === findingId };
}
