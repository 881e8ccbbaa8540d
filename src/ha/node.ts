import type { Logger } from 'pino';
import { LockSession, type NodeRow, type TakeoverResult } from './lock-session';

/*
 * One node of an active/standby group on a shared PostgreSQL database: the loop that waits as a standby, takes
 * over, serves as the active node while its lease holds, and goes back to waiting when it loses it.
 *
 *   standby   lock session open, pg_try_advisory_lock every poll; a small HTTP server answers (standby-http.ts);
 *             no AMQP listener, so clients and load balancers move on to the active node.
 *   takeover  the lock is ours: end the old leader's store connections, bump the epoch (lock-session.ts), close the
 *             standby HTTP server, open the store fenced by the new epoch and start the broker (it recovers
 *             everything from the database, every entry redelivered after an unclean stop, then listens).
 *   active    heartbeat on the lock session every lease/5. The lease is trusted until lastHeartbeatSent + lease -
 *             margin: PostgreSQL cannot end our session (and a standby cannot take over) before the session has been
 *             idle for the lease, and it cannot have been idle since before we sent that heartbeat. Past the trust
 *             deadline, or on a failed heartbeat, a lost session, or a store fenced by a newer epoch, the node closes
 *             the broker (clients get 320) and is a standby again. A broker that does not close in time ends the
 *             process (exit 1), for its supervisor to restart.
 *
 * The epoch, not the deadline, is what keeps confirmed messages safe: a leader that wakes up past its deadline may
 * still try to write, and its transaction fails on the epoch check. The deadline stops it serving clients.
 */

export interface ActiveBroker {
  /** Stops serving: closes clients (320) and releases the store. */
  close(): Promise<void>;
}

export interface HaView {
  readonly node: string;
  readonly role: 'active' | 'standby';
  readonly epoch: number;
  readonly leader: { readonly node: string; readonly amqp: string; readonly http: string; readonly since: number } | null;
  readonly nodes: readonly NodeRow[];
  readonly leaseMs: number;
  /** Takeovers this node made since it started. */
  readonly takeovers: number;
  /** How long the last takeover took, lock to listening, ms (0 before the first). */
  readonly lastTakeoverMs: number;
}

export interface StandbyServer {
  close(): Promise<void>;
}

export interface HaNodeOptions {
  readonly url: string;
  readonly node: string;
  readonly leaseMs: number;
  /** How often a standby tries the lock (default lease / 10, at least 100 ms). */
  readonly pollMs?: number;
  /** What this node records as its addresses (host:port), for the others' /api/nodes and /api/leveret/ha. */
  readonly amqp: string;
  readonly http: string;
  readonly logger: Logger;
  /** Creates or migrates the schema (the lock session's tables live in it). */
  ensureSchema(): Promise<unknown>;
  /** Opens the store fenced by `epoch` and starts the broker; `onFatal` is called when its store can write no more. */
  becomeActive(epoch: number, onFatal: (reason: string) => void): Promise<ActiveBroker>;
  /** Starts the standby's HTTP server (undefined when HTTP is off). */
  startStandbyHttp(): Promise<StandbyServer | undefined>;
  /** Ends the process when a broker cannot be stopped (default process.exit). */
  exit?(code: number): void;
}

const CLOSE_LIMIT_MS = 15_000;

export class HaNode {
  private stopping = false;
  private session: LockSession | undefined;
  private standby: StandbyServer | undefined;
  private active: ActiveBroker | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lose: ((reason: string) => void) | undefined;
  private view: HaView;
  private lastUnreachable = '';

  constructor(private readonly options: HaNodeOptions) {
    this.view = {
      node: options.node,
      role: 'standby',
      epoch: 0,
      leader: null,
      nodes: [],
      leaseMs: options.leaseMs,
      takeovers: 0,
      lastTakeoverMs: 0,
    };
  }

  /**
   * Whether this node may serve clients now: active, and within its lease by the wall clock. Synchronous and cheap
   * (asked per socket read): after a long pause the I/O that was waiting is handled before any timer runs, so the
   * lease is checked here too, and a lapsed one starts the step-down at once.
   */
  serving(): boolean {
    if (!this.leading) return false;
    if (Date.now() <= this.trustedUntil) return true;
    this.lose?.('trust deadline passed: the database was not reached within the lease');
    return false;
  }

  /** From the takeover until the lead is lost (the broker may already be listening while it recovers). */
  private leading = false;

  /** Until when the active node trusts its lead (ms since the epoch): its last heartbeat sent + lease - margin. */
  private trustedUntil = 0;

  /** What this node knows of the group; read by the HTTP APIs of both roles. */
  status(): HaView {
    return this.view;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the loop: an active node closes its broker (a clean stop: the next leader need not mark redeliveries). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.lose?.('stopping');
    this.wake?.();
    await this.loop;
  }

  private get pollMs(): number {
    return this.options.pollMs ?? Math.max(100, Math.floor(this.options.leaseMs / 10));
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    let schemaReady = false;
    this.standby = await this.options.startStandbyHttp();
    while (!this.stopping) {
      try {
        if (!schemaReady) {
          await this.options.ensureSchema();
          schemaReady = true;
        }
        this.session = await LockSession.connect(this.options);
        this.lastUnreachable = '';
        if (await this.waitForLock(this.session)) await this.serve(this.session);
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        // One line per distinct failure: a database that stays down does not flood the log.
        if (text !== this.lastUnreachable) log.warn({ err: text }, 'cannot reach the database; will retry');
        this.lastUnreachable = text;
      } finally {
        await this.session?.close();
        this.session = undefined;
      }
      if (!this.stopping) await this.sleep(this.pollMs);
    }
    await this.standby?.close();
    this.standby = undefined;
  }

  /** Standby: polls the lock; true once it is ours. Throws when the session fails. */
  private async waitForLock(session: LockSession): Promise<boolean> {
    let announced = '';
    while (!this.stopping) {
      if (session.lost !== undefined) throw session.lost;
      if (await session.tryLock()) return true;
      await session.heartbeat('standby', this.options.amqp, this.options.http);
      await this.refresh(session, 'standby', 0);
      const leader = this.view.leader?.node ?? '';
      if (leader !== announced) {
        this.options.logger.info({ leader: this.view.leader }, 'standby');
        announced = leader;
      }
      await this.sleep(this.pollMs);
    }
    return false;
  }

  /**
   * Takes over, serves until the lease is lost, then stops serving. The heartbeat starts with the takeover, before
   * the broker recovers: a recovery longer than the lease would otherwise let the session go idle and lose the lock.
   */
  private async serve(session: LockSession): Promise<void> {
    const log = this.options.logger;
    const lockedAt = Date.now();
    const takeover: TakeoverResult = await session.takeOver(this.options.amqp, this.options.http);
    // Trusted from the takeover's own statements (sent no earlier than lockedAt).
    let trustedSince = lockedAt;
    let lost: string | undefined;
    const lostPromise = new Promise<string>((resolve) => {
      this.lose = (reason) => {
        this.leading = false;
        lost ??= reason;
        resolve(lost);
      };
    });
    this.leading = true;
    const beat = Math.max(100, Math.floor(this.options.leaseMs / 5));
    const margin = Math.min(1000, beat);
    this.trustedUntil = trustedSince + this.options.leaseMs - margin;
    const deadlineCheck = setInterval(() => {
      if (Date.now() > this.trustedUntil) this.lose?.('trust deadline passed: the database was not reached within the lease');
    }, Math.max(50, Math.floor(beat / 4)));
    const heartbeats = (async () => {
      while (lost === undefined) {
        await Promise.race([this.sleep(beat), lostPromise]);
        if (lost !== undefined) break;
        const sentAt = Date.now();
        try {
          if (session.lost !== undefined) throw session.lost;
          await session.heartbeat('active', this.options.amqp, this.options.http);
          if (lost !== undefined) break;
          trustedSince = sentAt;
          this.trustedUntil = trustedSince + this.options.leaseMs - margin;
          await this.refresh(session, 'active', takeover.epoch);
        } catch (err) {
          this.lose?.(`heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
          break;
        }
      }
    })();

    await this.standby?.close();
    this.standby = undefined;
    try {
      this.active = await this.options.becomeActive(takeover.epoch, (reason) => this.lose?.(reason));
      if (lost === undefined) {
        const tookMs = Date.now() - lockedAt;
        this.view = { ...this.view, role: 'active', epoch: takeover.epoch, takeovers: this.view.takeovers + 1, lastTakeoverMs: tookMs };
        log.info(
          { epoch: takeover.epoch, previous: takeover.previous.node, tookMs, leaderGoneMs: takeover.leaderGoneMs, terminated: takeover.terminated },
          'became active',
        );
        await this.refresh(session, 'active', takeover.epoch).catch(() => undefined);
      }
    } catch (err) {
      log.error({ err, epoch: takeover.epoch }, 'could not start as the active node');
      this.lose?.('could not start');
    }
    const reason = await lostPromise;
    clearInterval(deadlineCheck);
    if (reason !== 'stopping' && reason !== 'could not start') log.warn({ reason, epoch: takeover.epoch }, 'lost leadership');
    this.view = { ...this.view, role: 'standby', epoch: 0 };
    await this.closeActive();
    this.wake?.();
    await heartbeats;
    this.lose = undefined;
    if (!this.stopping) this.standby = await this.options.startStandbyHttp();
  }

  private async closeActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (active === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_LIMIT_MS);
    });
    const closed = active.close().then(
      () => 'closed' as const,
      (err: unknown) => {
        this.options.logger.warn({ err }, 'error while stopping the broker');
        return 'closed' as const;
      },
    );
    const outcome = await Promise.race([closed, limit]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.options.logger.fatal({ limitMs: CLOSE_LIMIT_MS }, 'the broker did not stop after losing leadership; exiting');
      (this.options.exit ?? process.exit)(1);
    }
  }

  private async refresh(session: LockSession, role: 'active' | 'standby', epoch: number): Promise<void> {
    // One after the other: a pg client runs one query at a time.
    const leader = await session.leader();
    const nodes = await session.nodes();
    const row = nodes.find((n) => n.name === leader.node);
    this.view = {
      ...this.view,
      role,
      epoch,
      nodes,
      leader: leader.node === '' ? null : { node: leader.node, amqp: row?.amqp ?? '', http: row?.http ?? '', since: leader.since },
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
