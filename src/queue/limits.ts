import type { Queue } from './queue';

/*
 * Length limits (x-max-length, x-max-length-bytes) and what x-overflow does when they are reached.
 */

/** reject-publish: one more message of `size` bytes would take the queue past x-max-length or x-max-length-bytes. */
export function wouldOverflow(queue: Queue, size: number): boolean {
  const { maxLength, maxLengthBytes } = queue.settings;
  return (
    (maxLength !== undefined && queue.messageCount >= maxLength) ||
    (maxLengthBytes !== undefined && queue.readyBytes + size > maxLengthBytes)
  );
}

/**
 * drop-head: the messages at the head (the next to deliver: oldest first, highest priority first in a priority
 * queue) leave, reason maxlen, until the queue is within its limits. Stored ones are paged in to be dropped.
 */
export function dropHeadOverLimit(queue: Queue): void {
  const { maxLength, maxLengthBytes } = queue.settings;
  while (
    (maxLength !== undefined && queue.messageCount > maxLength) ||
    (maxLengthBytes !== undefined && queue.readyBytes > maxLengthBytes)
  ) {
    const entry = queue.pager.shift();
    if (entry === undefined) return;
    queue.figures.readyOut(entry.message);
    queue.drop(entry, 'maxlen');
  }
}
