/**
 * The operator of the fuzzed broker: every few seconds it purges the queues the attackers share. Attackers publish
 * far more than anyone consumes, and the queues without limits keep what they are given, as a broker must: left alone,
 * a long run holds hundreds of thousands of messages (a gigabyte in a 90,000-frame rich run, all of it freed once the
 * queues were deleted), and the RSS bound would measure that instead of what it is for, memory the broker fails to
 * give back. The good client's queue is never touched.
 */
import * as amqp from 'amqplib';
import type { Pools } from './vocabulary';

export class Janitor {
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  /** Messages purged so far. */
  purged = 0;

  constructor(target: () => string | undefined, pools: Pools, everyMs = 5000) {
    const names = [...new Set([...pools.queues.filter((q) => q.startsWith('fz.')), ...pools.topologies.flatMap((t) => [t.queue, t.dead])])];
    this.timer = setInterval(() => {
      const url = target();
      if (this.busy || url === undefined) return;
      this.busy = true;
      void this.sweep(url, names).finally(() => (this.busy = false));
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sweep(url: string, names: readonly string[]): Promise<void> {
    let conn: amqp.ChannelModel | undefined;
    try {
      conn = await amqp.connect(url);
      conn.on('error', () => undefined);
      for (const name of names) {
        // A queue that does not exist (404) or is another connection's exclusive queue (405) closes the channel.
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        try {
          this.purged += (await ch.purgeQueue(name)).messageCount;
          await ch.close();
        } catch {
          // gone, or not ours to purge
        }
      }
    } catch {
      // the broker is down or refusing: the watchdog reports that
    } finally {
      await conn?.close().catch(() => undefined);
    }
  }
}
