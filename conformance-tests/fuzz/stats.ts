/** The counters all attackers of a run share. */
import type { OracleStats } from './oracle';

/** Counters shared by all attackers of a run. */
export interface AttackStats {
  /** Probes whose right answer is known (oracle.ts), by class of bad input. */
  oracle: OracleStats;
  frames: number;
  mutated: number;
  connections: number;
  connectErrors: number;
  /** Valid logins the broker did not complete (when, and what happened). */
  handshakeFailures: Array<{ at: number; what: string }>;
  /** 'connection.close 501 FRAME_ERROR' -> count, 'channel.close 406 PRECONDITION_FAILED' -> count, ... */
  closes: Map<string, number>;
  internalErrors: Array<{ text: string; connection: number; lastFrames: string[] }>;
  deliveries: number;
  /** Bytes from the broker that are not valid frames (the broker must never send any). */
  garbage: Array<{ connection: number; error: string }>;
  /** Methods carrying back bytes a client sent that are not UTF-8 (as RabbitMQ echoes them): not garbage. */
  echoedBytes: number;
  mutations: Map<string, number>;
}

export function newStats(): AttackStats {
  return {
    frames: 0,
    mutated: 0,
    connections: 0,
    connectErrors: 0,
    handshakeFailures: [],
    closes: new Map(),
    internalErrors: [],
    deliveries: 0,
    garbage: [],
    echoedBytes: 0,
    mutations: new Map(),
    oracle: new Map(),
  };
}

export function bump(m: Map<string, number>, key: string, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/** The operator name of a mutated frame's label ('... ~shortstr-bytes(queue=ff)' -> 'shortstr-bytes'). */
export function mutationName(label: string): string {
  const at = label.lastIndexOf('~');
  if (at < 0) return 'extreme-content';
  return /^[a-z0-9-]+/.exec(label.slice(at + 1))?.[0] ?? 'other';
}

