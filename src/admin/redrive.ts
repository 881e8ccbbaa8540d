import type { Exchange } from '../exchange/exchange';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import { parseExpiration } from '../protocol/properties';
import { BrowseCursor, type BrowsedMessage } from '../queue/browse';
import { TakenMessage } from '../queue/browse-take';
import type { Queue } from '../queue/queue';
import { PUBLISH_HELD } from '../vhost/publish';
import type { VhostRegistry } from '../vhost/registry';
import type { VirtualHost } from '../vhost/vhost';
import { matches, nextTurn, SCAN_CHUNK } from './browse';
import { formatProperties } from './views/properties';

export interface RedriveOptions {
  /** Only messages the browser's search matches (case-insensitive substring); all when absent. */
  readonly search?: string | undefined;
  /** At most this many messages are selected (matched). */
  readonly limit?: number | undefined;
  /** Publish to this exchange instead of the one in the first x-death entry (then messages without x-death go too). */
  readonly toExchange?: string | undefined;
  /** With this routing key instead of the x-death one (or, without x-death, the message's own). */
  readonly routingKey?: string | undefined;
  readonly dryRun: boolean;
  /** At most this many messages moved per second. */
  readonly rate?: number | undefined;
  /** Whether the requesting user may publish to this exchange with this key (write and topic permission). */
  mayPublish(exchange: string, routingKey: string): boolean;
}

export interface RedriveResult {
  /** Messages selected: matched the search and have a target exchange the user may publish to (limit at most). */
  matched: number;
  /** Messages taken out of the queue and published to their target (0 on a dry run). */
  moved: number;
  dry_run: boolean;
  /** Messages the search matched but left: no x-death (and no to_exchange), target missing or not permitted. */
  skipped: number;
  /** Selected messages kept because their copy reached no queue (unroutable, refused, de-duplicated). */
  unroutable: number;
  /** Ready messages looked at. */
  scanned: number;
}

/** Where a message goes back to: its first x-death entry's exchange and first routing key. */
function deadLetteredFrom(m: BrowsedMessage): { exchange: string; routingKey: string } | undefined {
  let props: unknown;
  try {
    props = formatProperties(m.properties);
  } catch {
    return undefined;
  }
  const deaths = (props as { headers?: { 'x-death'?: unknown } }).headers?.['x-death'];
  const first = Array.isArray(deaths) ? (deaths[0] as { exchange?: unknown; 'routing-keys'?: unknown } | undefined) : undefined;
  if (first === undefined || typeof first.exchange !== 'string') return undefined;
  const keys = first['routing-keys'];
  const key = Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : m.routingKey;
  return { exchange: first.exchange, routingKey: key };
}

/**
 * Dead-letter re-drive: each selected ready message of a queue is taken out and published again through the
 * vhost's publish pipeline, to the exchange and routing key it was dead-lettered from (x-death) or to the ones
 * given. Once per message (TakenMessage: out of the ready entries before its copy is published, out of the store
 * only after the copy's enqueue, in the same commit or a later one). The copies never enter the source queue.
 * The walk goes a chunk per event-loop turn, spread to `rate` messages a second when given.
 */
export class RedriveAdmin {
  /**
   * Queues being re-driven: one re-drive per queue at a time (two walking the same stored tail could each take a
   * stored entry the other already moved).
   */
  private readonly running = new WeakSet<Queue>();

  constructor(private readonly registry: VhostRegistry) {}

  async redrive(vhost: string, name: string, options: RedriveOptions): Promise<RedriveResult> {
    const v = this.registry.get(vhost);
    const queue: Queue | undefined = v?.queues.get(name);
    if (v === undefined || queue === undefined) throw new Error(`no queue '${name}' in vhost '${vhost}'`);
    if (queue.exclusiveOwner !== null) {
      throw new AmqpError(ReplyCode.ResourceLocked, `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'`);
    }
    if (this.running.has(queue)) {
      throw new AmqpError(ReplyCode.PreconditionFailed, `a re-drive of queue '${name}' in vhost '${vhost}' is running; try when it is done`);
    }
    this.running.add(queue);
    try {
      return await this.run(v, queue, options);
    } finally {
      this.running.delete(queue);
    }
  }

  private async run(v: VirtualHost, queue: Queue, options: RedriveOptions): Promise<RedriveResult> {
    const result: RedriveResult = { matched: 0, moved: 0, dry_run: options.dryRun, skipped: 0, unroutable: 0, scanned: 0 };
    const search = options.search?.toLowerCase() ?? '';
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let admitted = 0;
    const publisher = v.publisher({
      admit: (q) => {
        if (q === queue) return false;
        admitted++;
        return true;
      },
    });
    const cursor = new BrowseCursor(queue, 0);
    const started = Date.now();
    while (result.matched < limit && !queue.deleted) {
      let budget = SCAN_CHUNK;
      if (options.rate !== undefined) {
        budget = Math.min(budget, Math.floor((options.rate * (Date.now() - started)) / 1000) + 1 - result.moved);
        if (budget <= 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(5, 1000 / options.rate!)));
          continue;
        }
      }
      const chunk = cursor.next(Math.min(budget, limit - result.matched));
      if (chunk.length === 0) break;
      result.scanned += chunk.length;
      for (const m of chunk) {
        if (search !== '' && !matches(m, search)) continue;
        const from = deadLetteredFrom(m);
        const target = options.toExchange ?? from?.exchange;
        const key = options.routingKey ?? from?.routingKey ?? m.routingKey;
        const exchange: Exchange | undefined = target === undefined ? undefined : v.exchanges.get(target);
        if (exchange === undefined || exchange.internal || !options.mayPublish(exchange.name, key)) {
          result.skipped++;
          continue;
        }
        result.matched++;
        if (options.dryRun) continue;
        const taken = TakenMessage.take(queue, m);
        if (taken === undefined) continue; // consumed or expired meanwhile
        const expiration = parseExpiration(m.properties);
        admitted = 0;
        const routed = publisher.publish(exchange, taken.message(exchange.name, key, typeof expiration === 'number' ? expiration : -1), [key]);
        if (routed === PUBLISH_HELD || admitted > (publisher.refused ? 1 : 0)) {
          taken.commit();
          result.moved++;
        } else {
          taken.undo();
          result.unroutable++;
        }
      }
      await nextTurn();
    }
    // The moved persistent copies (and the removals) are on disk before the answer.
    await v.store.flush();
    return result;
  }
}
