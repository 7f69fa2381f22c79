import { existingRedis, pingRedis, redisMarkers, startRedis, stopRedis } from './redis-service';
import { isOwnedProcess } from './owned-process';
import type { ServiceStatus, StackService } from './stack-service';

export const redisStackService: StackService = {
  name: 'redis',

  async ensure(s) {
    const existing = await existingRedis(s.settings, s.state.redis);
    if (existing) {
      s.state.redis = existing;
      s.save();
      s.logger.info({ service: 'redis', url: existing.url, managed: existing.managed }, 'Redis already running');
      return;
    }
    const previousPort = s.state.redis?.managed ? s.state.redis.port : undefined;
    const started = await startRedis({ layout: s.layout, previousPort, timeoutMs: s.settings.serviceStartTimeoutMs, logger: s.logger });
    s.state.redis = started;
    s.save();
    s.undo.push(async () => {
      await stopRedis(started);
      if (s.state.redis?.managed) delete s.state.redis.pid;
    });
    s.logger.info({ service: 'redis', url: started.url }, 'Redis ready');
  },

  async status(layout, state) {
    const redisState = state.redis;
    const status: ServiceStatus = { service: 'redis', managed: redisState?.managed ?? false, running: false, healthy: false };
    if (redisState?.managed) {
      Object.assign(status, { url: redisState.url, log: layout.logFile('redis') });
      if (isOwnedProcess(redisState.pid, redisMarkers(redisState.port))) Object.assign(status, { running: true, pid: redisState.pid, healthy: await pingRedis(redisState.url) });
    } else if (redisState) {
      const up = await pingRedis(redisState.url);
      Object.assign(status, { url: redisState.url, running: up, healthy: up, detail: 'external: not started or stopped by the stack' });
    }
    return status;
  },

  async stop(_layout, state) {
    const stopped = await stopRedis(state.redis);
    if (state.redis?.managed) delete state.redis.pid;
    return stopped;
  },

  notOursToStop: (layout, state) =>
    state.redis && !state.redis.managed ? `redis at ${state.redis.url} was not started by the stack in ${layout.dir}; it is not ours to stop` : undefined,

  endpoints: (state) => (state.redis ? { REDIS_URL: state.redis.url } : undefined),
};
