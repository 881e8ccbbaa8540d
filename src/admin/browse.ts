import type { Json } from './json';
import { BrowseCursor, type BrowsedMessage } from '../queue/browse';
import type { Queue } from '../queue/queue';
import type { VhostRegistry } from '../vhost/registry';
import { payloadFields } from './messages';
import { formatProperties } from './views/properties';

/** Page size of the browser: default and most. */
export const BROWSE_DEFAULT_LIMIT = 50;
export const BROWSE_MAX_LIMIT = 500;
/** Messages a search looks at in one request at most; past it the answer says `truncated` (and how far it got). */
export const SEARCH_SCAN_LIMIT = 200_000;
/** Messages looked at per event-loop turn by a search or a re-drive: the loop is never held for long. */
export const SCAN_CHUNK = 512;

export interface BrowseOptions {
  readonly offset: number;
  readonly limit: number;
  /** Case-insensitive substring of the routing key, exchange, a property or header (x-death included) or the body. */
  readonly search?: string | undefined;
  /** Payloads of this many bytes or more are cut to this many (as /get's truncate). */
  readonly truncate?: number | undefined;
}

export interface BrowsePage {
  /** Ready messages of the queue; with a search, the matches found (all of them unless truncated). */
  total: number;
  items: Record<string, unknown>[];
  /** With a search: messages looked at, and whether the scan stopped at SEARCH_SCAN_LIMIT before the queue's end. */
  scanned?: number;
  truncated?: boolean;
}

/** One browsed message with /get's field names (payload and properties exactly as /get shows them). */
export function describeBrowsed(m: BrowsedMessage, truncate: number | undefined): Record<string, unknown> {
  return {
    position: m.position,
    routing_key: m.routingKey,
    exchange: m.exchange,
    redelivered: m.redelivered,
    properties: safeProperties(m.properties),
    ...payloadFields(m.body, truncate, true),
  };
}

function safeProperties(bytes: Buffer): unknown {
  try {
    return formatProperties(bytes);
  } catch {
    return [];
  }
}

/** Whether a message holds `needle` (lower case): routing key, exchange, a property or header value or name, body. */
export function matches(m: BrowsedMessage, needle: string): boolean {
  if (m.routingKey.toLowerCase().includes(needle) || m.exchange.toLowerCase().includes(needle)) return true;
  const props = safeProperties(m.properties);
  if (props !== null && typeof props === 'object' && textHas(props as Json, needle)) return true;
  return m.body.toString('utf8').toLowerCase().includes(needle);
}

function textHas(value: Json, needle: string): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return value.toLowerCase().includes(needle);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).toLowerCase().includes(needle);
  if (Array.isArray(value)) return value.some((v) => textHas(v, needle));
  for (const [key, v] of Object.entries(value)) if (key.toLowerCase().includes(needle) || textHas(v, needle)) return true;
  return false;
}

/** Yields to the event loop (between scan chunks). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The message browser: a queue's ready messages in delivery order without taking them (BrowseCursor), a page at a
 * time; with a search, the matches, scanned a chunk per event-loop turn.
 */
export class BrowseAdmin {
  constructor(private readonly registry: VhostRegistry) {}

  /** The queue (the caller checked it exists). */
  queue(vhost: string, name: string): Queue {
    const queue = this.registry.get(vhost)?.queues.get(name);
    if (queue === undefined) throw new Error(`no queue '${name}' in vhost '${vhost}'`);
    return queue;
  }

  async browse(vhost: string, name: string, options: BrowseOptions): Promise<BrowsePage> {
    const queue = this.queue(vhost, name);
    const { offset, limit, truncate } = options;
    const search = options.search?.toLowerCase() ?? '';
    if (search === '') {
      // One page: an index walk to the offset and one read, in this turn.
      const items = new BrowseCursor(queue, offset).next(limit).map((m) => describeBrowsed(m, truncate));
      return { total: queue.messageCount, items };
    }
    const cursor = new BrowseCursor(queue, 0);
    const items: Record<string, unknown>[] = [];
    let total = 0;
    let scanned = 0;
    for (;;) {
      const chunk = cursor.next(Math.min(SCAN_CHUNK, SEARCH_SCAN_LIMIT - scanned));
      scanned += chunk.length;
      for (const m of chunk) {
        if (!matches(m, search)) continue;
        if (total >= offset && items.length < limit) items.push(describeBrowsed(m, truncate));
        total++;
      }
      if (chunk.length === 0 || scanned >= SEARCH_SCAN_LIMIT || queue.deleted) break;
      await nextTurn();
    }
    const truncated = scanned >= SEARCH_SCAN_LIMIT && cursor.next(1).length > 0;
    return { total, items, scanned, truncated };
  }
}
