import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Properties of foreign errors that are dropped from logs: opensearch-js puts the whole request (headers with
 * credentials, bulk bodies with raw records) in `meta`, the AWS SDK the raw HTTP response in `$response`.
 */
const DROPPED_ERROR_PROPS = ['meta', '$response'];

/** pino's error serializer (type, message, stack, code, context and the `cause` chain) without the props above. */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.errWithCause(err) as unknown as Record<string, unknown>;
  for (let level: Record<string, unknown> | undefined = out, depth = 0; level && depth < 10; depth++) {
    for (const prop of DROPPED_ERROR_PROPS) delete level[prop];
    level = level.cause && typeof level.cause === 'object' ? (level.cause as Record<string, unknown>) : undefined;
  }
  return out;
}

/**
 * Structured logs to stderr (stdout is reserved for command output that scripts parse). Log an error as `{ err }`:
 * its code, context and cause are kept. Secrets are redacted by path wherever they might appear in logged objects.
 * `destination` is for tests.
 */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'trailscope',
      serializers: { err: serializeError },
      redact: {
        paths: ['secret', '*.secret', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'secretAccessKey', '*.secretAccessKey', 'serverKey', '*.serverKey'],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
