import { editHeaders, encodeValue } from '../protocol/property-list';
import { EntryState, type Message, type QueueEntry } from './message';
import type { Queue } from './queue';

/*
 * Redelivery: unsettled entries going back to the queue (nack/reject with requeue, a channel closed), with
 * x-delivery-limit and the x-delivery-count header.
 */

/**
 * Puts unsettled entries (already uncounted as unacknowledged) back at their original positions, marked
 * redelivered. Entries returned more often than x-delivery-limit allows are dead-lettered (reason delivery_limit)
 * or dropped instead. Returns true when an entry with a deadline came back (the expiry timer is to be re-armed).
 */
export function requeue(queue: Queue, entries: QueueEntry[]): boolean {
  entries.sort(bySeq);
  const { deliveryLimit, quorum } = queue.settings;
  const back: QueueEntry[] = [];
  let deadline = false;
  for (const entry of entries) {
    if (entry.state === EntryState.Gone) continue;
    entry.returns++;
    if (deliveryLimit !== undefined && entry.returns > deliveryLimit) {
      queue.drop(entry, 'delivery_limit');
      continue;
    }
    if (deliveryLimit !== undefined || quorum) entry.message = withDeliveryCount(entry.message, entry.returns);
    // The store hears of a delivery only now: a clean stop requeues every unacked one first, and after an unclean
    // stop every stored entry comes back redelivered anyway, so a mark per delivery would be a write nobody needs.
    if (!entry.redelivered) queue.pager.markReturned(entry);
    entry.redelivered = true;
    entry.state = EntryState.Ready;
    queue.figures.readyIn(entry.message);
    if (entry.expiresAt !== 0) {
      queue.expiry.track(entry);
      deadline = true;
    }
    back.push(entry);
  }
  queue.pager.restore(back);
  return deadline;
}

/** A copy of `message` whose headers carry x-delivery-count (the stored original is left as it is). */
function withDeliveryCount(message: Message, count: number): Message {
  const properties = editHeaders(message.properties, [['x-delivery-count', encodeValue(count)]]);
  return { ...message, properties, headers: undefined };
}

function bySeq(a: QueueEntry, b: QueueEntry): number {
  return a.seq - b.seq;
}
