import { DedupCache, dedupKey, dedupTtlOverride, parseDedupArguments, type DedupSettings } from '../dedup/dedup';
import type { FieldTable } from '../protocol/field-table';
import { BasicPropertyFlag } from '../protocol/generated/amqp';
import { decodeOrUndefined } from '../protocol/properties';
import { headersOf, type Message } from './message';

const MESSAGE_ID_FLAG = BasicPropertyFlag.MessageId;

/**
 * x-message-deduplication on a queue or an exchange: remembers the de-duplication keys of recent messages (the
 * configured header, else the message-id) and says when a message repeats one.
 */
export class Deduplicator {
  private readonly cache: DedupCache;

  constructor(private readonly settings: DedupSettings) {
    this.cache = new DedupCache(settings.cacheSize, settings.ttlMs);
  }

  /** A Deduplicator for arguments that ask for one, undefined when they do not, or the error text when invalid. */
  static from(args: FieldTable): Deduplicator | undefined | string {
    const settings = parseDedupArguments(args);
    if (settings === undefined || typeof settings === 'string') return settings;
    return new Deduplicator(settings);
  }

  /** True when the message repeats a remembered key; otherwise its key (if any) is remembered. */
  isDuplicate(message: Message, now = Date.now()): boolean {
    const headers = headersOf(message);
    const properties = message.properties;
    const messageId =
      properties.length >= 2 && (properties.readUInt16BE(0) & MESSAGE_ID_FLAG) !== 0
        ? decodeOrUndefined(properties)?.messageId
        : undefined;
    const key = dedupKey(headers, messageId, this.settings.header);
    if (key === undefined) return false;
    return this.cache.isDuplicate(key, now, dedupTtlOverride(headers));
  }
}
