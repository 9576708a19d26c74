import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level: string;
  /** development: short coloured lines (pino-pretty); otherwise one JSON object per line. */
  environment?: 'development' | 'test' | 'production';
}

/** How deep an error's cause chain is followed in a log line. */
const MAX_CAUSES = 5;

/**
 * An error as a log line wants it: its kind, message, code and the chain of causes as short
 * sentences, with a trimmed stack. Never the error object itself: driver errors carry whole
 * queries, connection settings and nested metadata.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const causes: string[] = [];
  for (let cause = error.cause, depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(causes.length > 0 ? { causes } : {}),
    ...(error.stack ? { stack: error.stack.split('\n').slice(0, 6).join('\n') } : {}),
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError, error: serializeError },
    redact: { paths: ['req.headers.authorization', '*.password', '*.refreshToken'], censor: '[redacted]' },
  };
  if (options.environment !== 'development') return pino({ ...settings, formatters: { level: (label: string) => ({ level: label }) } });
  // Synchronous (no worker thread), so the last lines before a crash are not lost.
  const pretty = PinoPretty({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    messageFormat: '{service} | {msg}',
    singleLine: true,
    sync: true,
  });
  return pino(settings, pretty);
}
