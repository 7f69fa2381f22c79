import { S3_CREDENTIALS, assertS3ServerInstalled, probeS3, s3IsRunning, s3Url, startS3, stopS3 } from './s3-service';
import type { ServiceStatus, StackService } from './stack-service';

export const s3StackService: StackService = {
  name: 's3',
  preflight: () => assertS3ServerInstalled(),

  async ensure(s) {
    const prev = s.state.s3;
    if (prev && s3IsRunning(s.layout, prev) && (await probeS3(s3Url(prev.port)))) {
      s.logger.info({ service: 's3', url: s3Url(prev.port) }, 'S3 server already running');
      return;
    }
    const started = await startS3({ layout: s.layout, previousPort: prev?.port, timeoutMs: s.settings.serviceStartTimeoutMs, logger: s.logger });
    s.state.s3 = started;
    s.save();
    s.undo.push(async () => {
      await stopS3(s.layout, started);
      if (s.state.s3) delete s.state.s3.pid;
    });
    s.logger.info({ service: 's3', url: s3Url(started.port) }, 'S3 server ready');
  },

  async status(layout, state) {
    const s3State = state.s3;
    const status: ServiceStatus = { service: 's3', managed: true, running: false, healthy: false, log: layout.logFile('s3') };
    if (!s3State) return status;
    status.url = s3Url(s3State.port);
    if (s3IsRunning(layout, s3State)) Object.assign(status, { running: true, pid: s3State.pid, healthy: await probeS3(status.url) });
    return status;
  },

  async stop(layout, state) {
    const stopped = await stopS3(layout, state.s3);
    if (state.s3) delete state.s3.pid;
    return stopped;
  },

  endpoints: (state) =>
    state.s3
      ? {
          S3_ENDPOINT: s3Url(state.s3.port),
          AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
          AWS_REGION: S3_CREDENTIALS.region,
        }
      : undefined,
};
