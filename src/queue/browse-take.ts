import { EntryState, type Message, type QueueEntry } from './message';
import type { BrowsedMessage } from './browse';
import type { Queue } from './queue';

/**
 * Taking one browsed message out of its queue, for the re-drive: in two steps around the publish of its new copy,
 * so that it is never in both places and never in neither.
 *
 * take() makes it leave the queue's ready entries (an in-memory entry is removed from its list at once, so no
 * consumer can be handed it while its copy is published; a stored tail entry is only checked, nothing can load it
 * in between but the re-drive's own publish, which never enters the source queue). Then the caller publishes the
 * copy. Then commit() removes it from the store: that removal is written after the copy's enqueue, so the batch
 * that makes it durable holds the copy too (group commit keeps write order). If the copy went nowhere, undo()
 * puts an in-memory entry back where it was.
 */
export class TakenMessage {
  private constructor(
    private readonly queue: Queue,
    private readonly browsed: BrowsedMessage,
    /** The entry in memory, taken out of its list; undefined for a stored tail entry. */
    private readonly entry: QueueEntry | undefined,
  ) {}

  /** The message, if it is still ready in `queue`; it is out of the ready entries until commit() or undo(). */
  static take(queue: Queue, browsed: BrowsedMessage): TakenMessage | undefined {
    const { levels } = queue.pager.browsable();
    const level = levels[browsed.level];
    if (level === undefined) return undefined;
    let entry = browsed.entry;
    if (entry === undefined && !(level.tail && browsed.seq > level.loadedThrough)) entry = level.ready.find(browsed.seq);
    if (entry === undefined) {
      // Still in the stored tail, unless it expired there (expiry takes tail entries straight from the store).
      const inTail = level.tail && browsed.seq > level.loadedThrough;
      const expired = browsed.expiresAt !== 0 && browsed.expiresAt <= queue.now();
      return inTail && !expired ? new TakenMessage(queue, browsed, undefined) : undefined;
    }
    if (entry.state !== EntryState.Ready || entry.seq !== browsed.seq) return undefined;
    entry.state = EntryState.Gone;
    queue.pager.removed(entry);
    queue.figures.readyOut(entry.message);
    return new TakenMessage(queue, browsed, entry);
  }

  /** The message as it is to be published again (its store id kept: a durable copy shares the stored body). */
  message(exchange: string, routingKey: string, expiration: number): Message {
    const m = this.entry?.message;
    return {
      id: this.browsed.id,
      persistent: m === undefined ? true : m.persistent,
      exchange,
      routingKey,
      properties: this.browsed.properties,
      body: this.browsed.body,
      expiration,
      headers: undefined,
    };
  }

  /** The copy is in its new place: the original leaves the store (written after the copy's enqueue). */
  commit(): void {
    const persistence = this.queue.pager.browsable().persistence;
    const b = this.browsed;
    if (this.entry === undefined) {
      this.queue.pager.tailRemoved(b.body.length);
      this.queue.figures.storedOut(b.body.length);
    }
    if (persistence !== undefined && b.id !== 0) persistence.store.remove(persistence.queueId, b.seq, b.id);
  }

  /** The copy went nowhere: an in-memory entry goes back where it was (a stored one never left). */
  undo(): void {
    const entry = this.entry;
    if (entry === undefined) return;
    entry.state = EntryState.Ready;
    this.queue.pager.putBack(entry);
    this.queue.figures.readyIn(entry.message);
    this.queue.scheduleDrain();
  }
}
