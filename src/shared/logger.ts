import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors wherever they appear: credentials and caller metadata never reach a log. */
const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'metadata',
  '*.metadata',
];

/**
 * True when logs should be human-readable: LOG_PRETTY decides when set; otherwise only in
 * development with a terminal on stdout (a container or a log shipper gets JSON lines).
 */
export function prettyLogsWanted(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTty = process.stdout.isTTY === true,
): boolean {
  if (env.LOG_PRETTY === 'true' || env.LOG_PRETTY === '1') return true;
  if (env.LOG_PRETTY === 'false' || env.LOG_PRETTY === '0') return false;
  return (env.NODE_ENV ?? 'development') === 'development' && stdoutIsTty;
}

/** pino-pretty is a development dependency: a production install (npm ci --omit=dev) lacks it. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; tests pass a stream and read the lines back. Default: stdout. */
  destination?: DestinationStream;
  pretty?: boolean;
}

/**
 * A structured logger: JSON lines, one object per event, with the service name on each. Full
 * request payloads are never logged; the redaction list catches credentials or metadata if a
 * caller passes one by mistake.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level:
      options.level ??
      process.env.LOG_LEVEL ??
      (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: { service: 'wallet-gateway' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (options.destination) return pino(settings, options.destination);
  if (options.pretty && prettyAvailable()) {
    return pino({
      ...settings,
      transport: {
        target: 'pino-pretty',
        options: {
          colorize: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        },
      },
    });
  }
  return pino(settings);
}

/** The process-wide logger (JSON on stdout, or pretty in development on a terminal). */
export const logger = createLogger({ pretty: prettyLogsWanted() });
