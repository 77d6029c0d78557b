import pino from 'pino';

/**
 * The process-wide structured logger: JSON lines on stdout. Credentials and full request
 * payloads are never logged; the redaction list catches them if a caller passes one by mistake.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'wallet-gateway' },
  redact: {
    paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', '*.token', 'metadata', '*.metadata'],
    censor: '[redacted]',
  },
});
