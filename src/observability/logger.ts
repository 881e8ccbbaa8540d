/**
 * Logger factory: pino, one JSON object per line, to stdout unless told otherwise.
 *
 * Conventions (DESIGN "Logging"): one line per connection event at info, never one per message; structured fields
 * first, a short constant message second (`log.info({ conn, user, vhost }, 'connection opened')`), so the hot path
 * builds no strings. Child loggers carry context (`log.child({ conn: id })`).
 */
import pino from 'pino';
import type { LogLevel } from '../config/settings';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: LogLevel;
  /** Appears as "name" on every line; defaults to "leveret". */
  name?: string;
  /** Where lines go; defaults to stdout, written synchronously so nothing is lost on exit. */
  destination?: NodeJS.WritableStream;
}

/** Fields that must never reach a log line, wherever they are nested in a logged object. */
const REDACTED = ['defaultPass', '*.defaultPass', 'password', '*.password'];

export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'leveret',
    level: opts.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED, censor: '[redacted]' },
  };
  // pino's own default stdout stream writes asynchronously: lines logged just before process.exit() can be lost or
  // land out of order. Logging is per connection event, never per message, so synchronous writes cost little.
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(options, destination);
}
