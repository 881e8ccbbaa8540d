import { SortedNumbers } from '../util/sorted-numbers';
import type { QueueConsumer } from './consumer';

/**
 * A queue's consumers: by priority, highest first, served round-robin within one priority; and in arrival order,
 * for single-active-consumer queues (the first to arrive is the active one).
 *
 * Each priority is an insertion-ordered Set, so adding and removing a consumer cost O(1) (plus, for a priority not
 * seen before, its place among the distinct priorities, a SortedNumbers), and rotating the consumer just served to
 * the end of its group is a delete and an add. The array this replaced made closing a connection with 100,000
 * consumers on one queue, or adding consumers of rising priority, quadratic.
 */
export class ConsumerList {
  /** Distinct priorities present, highest first. */
  private readonly priorities = new SortedNumbers();
  private readonly groups = new Map<number, Set<QueueConsumer>>();
  /** Every consumer, in arrival order. */
  private readonly arrival = new Set<QueueConsumer>();
  /** The consumer when there is exactly one (the common case), so a delivery walks nothing. */
  private only: QueueConsumer | undefined;

  get size(): number {
    return this.arrival.size;
  }

  /** The consumer that arrived first (the active one of a single-active-consumer queue). */
  get first(): QueueConsumer | undefined {
    if (this.only !== undefined) return this.only;
    for (const consumer of this.arrival) return consumer;
    return undefined;
  }

  add(consumer: QueueConsumer): void {
    if (this.arrival.has(consumer)) return;
    this.arrival.add(consumer);
    let group = this.groups.get(consumer.priority);
    if (group === undefined) {
      group = new Set();
      this.groups.set(consumer.priority, group);
      this.priorities.add(consumer.priority);
    }
    group.add(consumer);
    this.only = this.arrival.size === 1 ? consumer : undefined;
  }

  /** Removes the consumer; false when it was not here. */
  remove(consumer: QueueConsumer): boolean {
    if (!this.arrival.delete(consumer)) return false;
    const group = this.groups.get(consumer.priority);
    if (group !== undefined) {
      group.delete(consumer);
      if (group.size === 0) {
        this.groups.delete(consumer.priority);
        this.priorities.delete(consumer.priority);
      }
    }
    this.only = this.arrival.size === 1 ? this.firstArrived() : undefined;
    return true;
  }

  private firstArrived(): QueueConsumer | undefined {
    for (const consumer of this.arrival) return consumer;
    return undefined;
  }

  /**
   * The first consumer, by priority then round-robin order, that can accept a delivery; it moves to the end of its
   * priority's turn. Undefined when none can.
   */
  next(): QueueConsumer | undefined {
    const only = this.only;
    if (only !== undefined) return only.canAccept() ? only : undefined;
    const runs = this.priorities.runs;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r] as readonly number[];
      for (let i = 0; i < run.length; i++) {
        const group = this.groups.get(run[i] as number) as Set<QueueConsumer>;
        for (const consumer of group) {
          if (!consumer.canAccept()) continue;
          group.delete(consumer);
          group.add(consumer);
          return consumer;
        }
      }
    }
    return undefined;
  }

  /** Removes every consumer and returns them in arrival order. */
  clear(): QueueConsumer[] {
    const all = [...this.arrival];
    this.arrival.clear();
    this.only = undefined;
    this.groups.clear();
    for (const priority of [...this.priorities]) this.priorities.delete(priority);
    return all;
  }
}
