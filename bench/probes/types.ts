/** What a probe is, what it is given, and what it returns. */
import { AmqpClient, type ConnectOptions } from './client';
import { Api } from './http';
import type { Target } from './target';

export interface ProbeOptions {
  /** Stop any memory-growing attack once the broker's RSS has grown by this much. */
  memCapMiB: number;
  /** Scale factor for counts (consumers, attempts); 1 = the figures. */
  scale: number;
  /** Seconds for each rate measurement (logins). */
  rateSeconds: number;
}

export interface ProbeContext {
  readonly target: Target;
  readonly options: ProbeOptions;
  /** Progress to stderr. */
  log(text: string): void;
  /** A management API client as guest. */
  api(): Api;
  /** An AMQP connection to the target (guest unless told). */
  connect(o?: ConnectOptions): Promise<AmqpClient>;
  /** A name unique to this run, so probes against a shared RabbitMQ never collide. */
  name(base: string): string;
  /** Whether the broker is still up; if not, records it and starts it again on the same data dir (Leveret). */
  recover(): Promise<boolean>;
}

export interface ProbeOutcome {
  /** The headline figure(s), one line. */
  figure: string;
  /** Overrides the runner's verdict (crashed N / survived) with something more telling, e.g. "admin created". */
  verdict?: string;
  details: Record<string, unknown>;
}

export interface Probe {
  id: number;
  name: string;
  /** Whether `--rabbitmq` runs it against the RabbitMQ node (light probes only). */
  rabbitmq: boolean;
  /** Time budget in seconds; the runner kills the broker and moves on past it (plus a grace period). */
  budgetS: number;
  /** Extra broker settings this probe needs (Leveret): a lowered fd limit. */
  nofile?: number;
  run(ctx: ProbeContext): Promise<ProbeOutcome>;
}

export function makeContext(target: Target, options: ProbeOptions, log: (t: string) => void): ProbeContext {
  const tag = `probe-${process.pid.toString(36)}-`;
  return {
    target,
    options,
    log,
    api: () => new Api(target.httpBase),
    connect: (o = {}) => AmqpClient.connect(target.host, target.amqpPort, o),
    name: (base) => `${tag}${base}`,
    recover: async () => {
      if (target.alive()) return false;
      await target.ensure();
      return true;
    },
  };
}

/** A short description of a failure (ServerClosed and friends). */
export function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
