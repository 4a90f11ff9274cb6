import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import type { Logger } from '../system.js';

/**
 * One JSON logger for the whole server: Fastify's (pino), made before the system so that what the
 * system logs while it starts (and later: notifications sent, rules failing, models skipped) is a JSON
 * line like every request error, never a console line that a log shipper cannot parse.
 */
export function createServerLogger(level: string): FastifyBaseLogger {
  return pino({ level });
}

/** The system's narrow Logger port over pino; an error, when there is one, goes in `err`. */
export function systemLoggerOver(log: FastifyBaseLogger): Logger {
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, error) => (error === undefined ? log.error(message) : log.error({ err: error }, message)),
  };
}
