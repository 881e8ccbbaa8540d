import { MethodId } from '../protocol/generated/amqp';
import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { Channel } from './channel';
import type { ChannelConsumer } from './consumer';
import { Unacked } from './unacked';

/**
 * Deliveries of one channel: basic.deliver to a consumer (the hot path: one writer call, no allocation beyond the
 * unacked record) and basic.get-ok. Each sends first, then records, so that a throw (a bug) leaves nothing
 * recorded: the queue takes the entry back and the channel's connection is closed (Queue.deliveryFailed).
 */
export function deliver(channel: Channel, consumer: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
  const tag = channel.nextDeliveryTag++;
  const message = entry.message;
  channel.writer.deliver(
    channel.id,
    consumer.tag,
    tag,
    entry.redelivered,
    message.exchange,
    message.routingKey,
    message.properties,
    message.body,
  );
  if (!consumer.noAck) {
    channel.unacked.add(new Unacked(tag, queue, entry, consumer, channel.timeouts.watch(queue)));
    consumer.unacked++;
  }
  const stats = channel.stats;
  const brokerStats = channel.brokerStats;
  if (consumer.noAck) {
    stats.deliver_no_ack++;
    brokerStats.deliver_no_ack++;
  } else {
    stats.deliver++;
    brokerStats.deliver++;
  }
  if (entry.redelivered) {
    stats.redeliver++;
    brokerStats.redeliver++;
  }
}

/** basic.get: hands one entry over outside any consumer. */
export function deliverGet(channel: Channel, queue: Queue, entry: QueueEntry, noAck: boolean): void {
  const tag = channel.nextDeliveryTag++;
  const message = entry.message;
  channel.send(MethodId.BasicGetOk, {
    deliveryTag: tag,
    redelivered: entry.redelivered,
    exchange: message.exchange,
    routingKey: message.routingKey,
    messageCount: queue.messageCount,
  });
  channel.writer.content(channel.id, message.properties, message.body);
  if (!noAck) channel.unacked.add(new Unacked(tag, queue, entry, undefined, channel.timeouts.watch(queue)));
  const stats = channel.stats;
  const brokerStats = channel.brokerStats;
  if (noAck) {
    stats.get_no_ack++;
    brokerStats.get_no_ack++;
  } else {
    stats.get++;
    brokerStats.get++;
  }
  if (entry.redelivered) {
    stats.redeliver++;
    brokerStats.redeliver++;
  }
}
