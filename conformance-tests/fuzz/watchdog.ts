/**
 * Is the broker still serving, while the attack goes on? A crash shows as the process exiting; this catches the
 * other ways down: the process runs but its event loop is stuck (a fresh connection's protocol header gets no
 * answer), its memory runs away (RSS over the bound), or, for --url, the port refuses connections.
 */
import * as net from 'node:net';
import { PROTOCOL_HEADER } from '../../src/protocol/frames';
import type { Target } from './attacker';
import type { BrokerProcess } from './broker-process';

export type DownKind = 'crash' | 'hang' | 'memory';

const EVERY_MS = 2000;
/** How long a fresh connection may wait for connection.start. */
export const PROBE_TIMEOUT_MS = 10_000;
/** Probes in a row without an answer before the broker counts as hung (or, refused, as gone). */
const MISSES = 2;

/** Connects and sends the protocol header: 'answered' on the first byte back, 'refused', or 'silent'. */
export function probe(t: Target, timeoutMs = PROBE_TIMEOUT_MS): Promise<'answered' | 'refused' | 'silent'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: 'answered' | 'refused' | 'silent'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const s = net.connect({ host: t.host, port: t.port }, () => s.write(PROTOCOL_HEADER));
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    s.on('data', () => finish('answered'));
    s.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'refused' : 'silent'));
    s.on('close', () => finish('silent'));
  });
}

export interface Watched {
  target: Target;
  /** The child broker, when the runner started one (for its RSS and its process state). */
  broker: BrokerProcess | undefined;
}

export class Watchdog {
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private misses = 0;
  /** When a probe was last answered: a hang began after this. */
  lastAnswerAt = Date.now();

  /** `watched` returns undefined while the runner stops or restarts the broker on purpose. */
  constructor(watched: () => Watched | undefined, maxRssBytes: number, onDown: (kind: DownKind) => void) {
    this.timer = setInterval(() => {
      const w = watched();
      if (w === undefined || this.busy) return;
      if (w.broker !== undefined && w.broker.lastRssBytes > maxRssBytes) {
        onDown('memory');
        return;
      }
      this.busy = true;
      void probe(w.target).then((r) => {
        this.busy = false;
        const now = watched();
        // Restarted or stopped meanwhile: this probe says nothing about the broker now running.
        if (now === undefined || now.broker !== w.broker || now.target.port !== w.target.port) {
          this.misses = 0;
          return;
        }
        if (r === 'answered') {
          this.misses = 0;
          this.lastAnswerAt = Date.now();
          return;
        }
        if (w.broker !== undefined && !w.broker.running) return; // the exit is reported as a crash
        if (++this.misses >= MISSES) {
          this.misses = 0;
          onDown(r === 'refused' ? 'crash' : 'hang');
        }
      });
    }, EVERY_MS);
    this.timer.unref();
  }

  /** A new broker: start counting afresh. */
  reset(): void {
    this.misses = 0;
    this.lastAnswerAt = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
