/**
 * Slows down clients that keep failing to log in (issue 11). Each peer address has a failure count that decays
 * with time; the refusal of a failed attempt is held back for a delay that grows with the failures the peer had
 * before it: none for a first failure, then 100 ms, 200 ms, 400 ms, ... up to 2 s. A peer that stops failing is
 * forgotten after a while (the count drops by one every `forgetMs`). Successful logins are never held and do not
 * reset the count (an attacker with one valid account could otherwise reset it between guesses).
 *
 * AMQP and HTTP share one throttle, so guesses over one protocol slow the other down too. Peers are keyed by
 * address: IPv4 (IPv4-mapped IPv6 included) by the whole address, IPv6 by its /64 prefix, since one host commonly
 * owns a whole /64. Memory is bounded: at most `maxPeers` entries; the one least recently failed is evicted first.
 *
 * The delays are per attempt, so they slow a client that waits for each answer (reconnect loops, most guessing
 * tools); a client that does not wait gets nothing sooner from the delay, and the refusal alone costs it a
 * connection per guess.
 */
import { isIPv6 } from 'node:net';

export interface LoginThrottleOptions {
  /** The clock, in ms (default Date.now). */
  now?: () => number;
  /** Peers remembered at most (default 10,000). */
  maxPeers?: number;
  /** Delay of the second failure in a row (default 100 ms); each further failure doubles it. */
  firstDelayMs?: number;
  /** Longest delay (default 2,000 ms). */
  maxDelayMs?: number;
  /** Time after which one failure is forgotten (default 10,000 ms). */
  forgetMs?: number;
}

interface Peer {
  /** Failures remembered, as of `at`; fractional while decaying. */
  failures: number;
  at: number;
}

const DEFAULTS = { maxPeers: 10_000, firstDelayMs: 100, maxDelayMs: 2_000, forgetMs: 10_000 };
/** Failures counted at most: enough to reach the longest delay, few enough to be forgotten in minutes. */
const MAX_FAILURES = 12;

export class LoginThrottle {
  private readonly now: () => number;
  private readonly maxPeers: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetMs: number;
  /** In order of last failure, oldest first (an entry is re-inserted on each failure). */
  private readonly peers = new Map<string, Peer>();

  constructor(options: LoginThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxPeers = Math.max(1, options.maxPeers ?? DEFAULTS.maxPeers);
    this.firstDelayMs = options.firstDelayMs ?? DEFAULTS.firstDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
    this.forgetMs = options.forgetMs ?? DEFAULTS.forgetMs;
  }

  /**
   * Records a failed login from `address` and returns how long to hold its refusal, in ms: 0 when the peer had no
   * failure to remember, else a delay doubling with each remembered failure, capped at maxDelayMs.
   */
  failed(address: string | undefined): number {
    const key = peerKey(address);
    const now = this.now();
    const before = this.remembered(key, now);
    this.peers.delete(key);
    this.peers.set(key, { failures: Math.min(MAX_FAILURES, before + 1), at: now });
    if (this.peers.size > this.maxPeers) {
      const oldest = this.peers.keys().next();
      if (oldest.done !== true) this.peers.delete(oldest.value);
    }
    const steps = Math.ceil(before);
    if (steps === 0) return 0;
    return Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** (steps - 1));
  }

  /** Failures remembered for `address` now (fractional while they decay); 0 for a peer not (or no longer) known. */
  failures(address: string | undefined): number {
    return this.remembered(peerKey(address), this.now());
  }

  /** Peers currently remembered. */
  get size(): number {
    return this.peers.size;
  }

  private remembered(key: string, now: number): number {
    const peer = this.peers.get(key);
    if (peer === undefined) return 0;
    const left = peer.failures - Math.max(0, now - peer.at) / this.forgetMs;
    if (left > 0) return left;
    this.peers.delete(key);
    return 0;
  }
}

/**
 * The bucket a peer address counts in: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its first 64 bits, with
 * any zone index dropped. An unknown address (a socket already gone) is one bucket of its own.
 */
export function peerKey(address: string | undefined): string {
  if (address === undefined || address === '') return '?';
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped !== null) return mapped[1] as string;
  return isIPv6(bare) ? `${prefix64(bare)}::/64` : bare;
}

/** The first four groups of a valid IPv6 address, unpadded hex: "2001:db8:0:1" for "2001:db8::1:0:0:1". */
function prefix64(address: string): string {
  // A trailing dotted IPv4 part stands for the last two groups.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const split = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':'));
  const [head, tail] = text.split('::');
  const first = split(head);
  const last = split(tail);
  const groups = tail === undefined ? first : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last];
  return groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':');
}

/** What one refused login is logged with: the same fields for AMQP and HTTP. The password never appears. */
export interface LoginRefusal {
  readonly protocol: 'amqp' | 'http';
  /** SASL mechanism (PLAIN, AMQPLAIN) or 'basic' for HTTP. */
  readonly mechanism: string;
  readonly peer: string | undefined;
  /** The user name tried, when the client sent one. */
  readonly user: string | undefined;
  readonly reason: string;
  /** How long the refusal is held back. */
  readonly delayMs: number;
}

/** Longest user name written to the log: names come from the client and SASL lets them be very long. */
const LOGGED_NAME_MAX = 256;

/** The one log line of a refused login (warn, as RabbitMQ's "login refused" / "HTTP access denied" lines). */
export function logLoginRefused(log: { warn(details: object, message: string): void }, refusal: LoginRefusal): void {
  const user = refusal.user !== undefined && refusal.user.length > LOGGED_NAME_MAX ? `${refusal.user.slice(0, LOGGED_NAME_MAX)}...` : refusal.user;
  log.warn({ ...refusal, user }, 'login refused');
}
