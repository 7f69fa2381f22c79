import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs to stderr (stdout is reserved for command output that scripts parse). Secrets are redacted by
 * path wherever they might appear in logged objects.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'trailscope',
      redact: {
        paths: ['secret', '*.secret', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'secretAccessKey', '*.secretAccessKey', 'serverKey', '*.serverKey'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
