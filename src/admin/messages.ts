import type { Exchange } from '../exchange/exchange';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { VhostRegistry } from '../vhost/registry';
import type { Publisher } from '../vhost/publish';
import type { VirtualHost } from '../vhost/vhost';
import { publish, type AdminPublish } from './publish';
import { formatProperties } from './views/properties';

export const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'] as const;
export type AckMode = (typeof ACK_MODES)[number];

export interface GetOptions {
  readonly ackMode: AckMode;
  readonly count: number;
  /** Payloads of this many bytes or more are cut to this many. */
  readonly truncate: number | undefined;
  /** 'auto': a UTF-8 payload as a string, else base64. */
  readonly encoding: 'auto' | 'base64';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** payload, payload_encoding and payload_bytes of a message as /get shows them (cut to `truncate` bytes when given). */
export function payloadFields(body: Buffer, truncate: number | undefined, auto: boolean): Record<string, unknown> {
  const payload = truncate !== undefined && body.length >= truncate ? body.subarray(0, Math.max(0, truncate)) : body;
  const asString = auto && isUtf8(payload);
  return {
    payload: asString ? payload.toString('utf8') : payload.toString('base64'),
    payload_encoding: asString ? 'string' : 'base64',
    payload_bytes: body.length,
  };
}

/** One message of POST .../get, as RabbitMQ's rabbit_mgmt_wm_queue_get shows it. */
function describeEntry(entry: QueueEntry, queue: Queue, truncate: number | undefined, auto: boolean): Record<string, unknown> {
  const message = entry.message;
  const { payload, payload_encoding, payload_bytes } = payloadFields(message.body, truncate, auto);
  return {
    payload_bytes,
    redelivered: entry.redelivered,
    exchange: message.exchange,
    routing_key: message.routingKey,
    message_count: queue.messageCount,
    properties: formatProperties(message.properties),
    payload,
    payload_encoding,
  };
}

/**
 * Messages through the management API: publish, get and purge, as a channel of the requesting user would (the
 * caller checked the user's permissions). A queue another connection holds exclusively is refused with
 * RESOURCE_LOCKED, as RabbitMQ refuses the management plugin's channel.
 */
export class MessageAdmin {
  /** One publish pipeline (its scratch) per vhost, made on first use. */
  private readonly publishers = new WeakMap<VirtualHost, Publisher>();

  constructor(private readonly registry: VhostRegistry) {}

  /** Publishes to an exchange that exists (the caller checked); whether any queue was reached. */
  async publish(vhost: string, exchange: string, message: AdminPublish): Promise<boolean> {
    const v = this.registry.get(vhost);
    const x: Exchange | undefined = v?.exchanges.get(exchange);
    if (v === undefined || x === undefined) throw new Error(`no exchange '${exchange}' in vhost '${vhost}'`);
    let publisher = this.publishers.get(v);
    if (publisher === undefined) this.publishers.set(v, (publisher = v.publisher()));
    return publish(v, x, message, publisher);
  }

  /** Takes up to `count` messages and settles them as `ackMode` says, after all are taken (RabbitMQ's order). */
  get(vhost: string, name: string, options: GetOptions): Record<string, unknown>[] {
    const queue = this.unlocked(vhost, name);
    const { ackMode, count, truncate } = options;
    const noAck = ackMode === 'ack_requeue_false';
    const taken: QueueEntry[] = [];
    const out: Record<string, unknown>[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const entry = queue.take(noAck, (next) => out.push(describeEntry(next, queue, truncate, options.encoding === 'auto')));
        if (entry === undefined) break;
        taken.push(entry);
      }
    } finally {
      // The requeue happens after every get, as RabbitMQ rejects (or closes the channel) only at the end:
      // otherwise each get would see the same message again. It happens even when describing one failed, so
      // no message is left out of its queue.
      if (ackMode === 'ack_requeue_true' || ackMode === 'reject_requeue_true') queue.requeue(taken);
      else if (ackMode === 'reject_requeue_false') for (const entry of taken) queue.settle(entry);
    }
    return out;
  }

  /** Drops a queue's ready messages. */
  purge(vhost: string, name: string): void {
    this.unlocked(vhost, name).purge();
  }

  /** A queue that exists (the caller checked) and no connection holds exclusively. */
  private unlocked(vhost: string, name: string): Queue {
    const queue = this.registry.get(vhost)?.queues.get(name);
    if (queue === undefined) throw new Error(`no queue '${name}' in vhost '${vhost}'`);
    if (queue.exclusiveOwner !== null) {
      throw new AmqpError(ReplyCode.ResourceLocked, `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'`);
    }
    return queue;
  }
}
