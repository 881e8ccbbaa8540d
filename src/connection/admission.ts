/**
 * How many AMQP connections the broker takes at once (issue 11), and the refusal of one more.
 *
 * The limit is the smaller of the connectionMax setting (RabbitMQ's connection_max, 'infinity' by default) and what
 * the file descriptors allow: every connection holds one, and the store, the logs, the runtime and the management
 * API's own connections need theirs, so that the HTTP port stays usable however many AMQP clients come. Over the
 * limit a new connection is closed as soon as it is accepted, before anything is sent, and the refusal is logged
 * at warn: the first at once, then at most one line a second with the number refused in it.
 */
import type { ConnectionMax } from '../config/settings';
import { RateLimitedReport } from '../util/rate-limited-report';

/** The management API's connections at most, per process; RabbitMQ's HTTP listener takes 1,024 by default. */
export const HTTP_MAX_CONNECTIONS = 256;
/** File descriptors kept for the rest: SQLite's files, the logs, the writer thread, the runtime, listeners. */
const OTHER_DESCRIPTORS = 128;

export interface DescriptorBudget {
  /** AMQP connections the descriptors allow; Infinity when the process limit is unknown. */
  readonly amqp: number;
  /** maxConnections for each management HTTP listener. */
  readonly httpPerListener: number;
}

/**
 * Splits `openFiles` descriptors: up to 128 (a quarter of a small limit) for the process's own files, up to
 * HTTP_MAX_CONNECTIONS (an eighth of a small limit) for the management API, the rest for AMQP connections.
 */
export function descriptorBudget(openFiles: number | undefined, httpListeners: number): DescriptorBudget {
  const listeners = Math.max(1, httpListeners);
  if (openFiles === undefined) return { amqp: Infinity, httpPerListener: HTTP_MAX_CONNECTIONS };
  const other = Math.min(OTHER_DESCRIPTORS, Math.floor(openFiles / 4));
  const http = Math.min(HTTP_MAX_CONNECTIONS, Math.floor(openFiles / 8));
  return { amqp: Math.max(0, openFiles - other - http), httpPerListener: Math.max(1, Math.floor(http / listeners)) };
}

/** The AMQP connection limit in force: the setting, capped by the descriptor budget. */
export function connectionLimit(setting: ConnectionMax, budget: DescriptorBudget): number {
  return Math.min(setting === 'infinity' ? Infinity : setting, budget.amqp);
}

/** Decides at accept whether one more AMQP connection is taken, and reports refusals without flooding the log. */
export class AcceptGate {
  private readonly refusals: RateLimitedReport<string | undefined>;

  /** @param refused told how many connections one report stands for and the latest one's peer address */
  constructor(
    readonly limit: number,
    refused: (count: number, peer: string | undefined) => void,
    intervalMs = 1000,
  ) {
    this.refusals = new RateLimitedReport(refused, intervalMs);
  }

  /** Whether a connection from `peer` may be taken while `open` are; a refusal is counted for the log. */
  admit(open: number, peer: string | undefined): boolean {
    if (open < this.limit) return true;
    this.refusals.add(peer);
    return false;
  }

  /** Reports refusals not yet logged. */
  close(): void {
    this.refusals.close();
  }
}
