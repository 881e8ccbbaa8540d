import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context';
import { bodiesOf, message, queue } from './fixtures';

/**
 * The Store contract: priority levels. A priority queue (x-max-priority) gives each entry its level, and pages each
 * level on its own: loadEntries, nextExpiry and loadExpired with a level see only the entries enqueued with it.
 */
export function priorityContract(ctx: ContractContext): void {
  describe('priority levels (x-max-priority queues page each level)', () => {
    const T = 1_700_000_000_000;

    test('loadEntries with a priority reads that level only, in seq order, paged; without one it reads every entry', async () => {
      const q = ctx.store.putQueue(queue('/', 'pq'));
      const plain = ctx.store.putQueue(queue('/', 'plain'));
      const levels = [0, 5, 2, 5, 0, 255, 5, 2];
      levels.forEach((level, i) => ctx.store.enqueue(q, i + 1, message(ctx.store, `p${level}-${i + 1}`), 0, level));
      ctx.store.enqueue(plain, 1, message(ctx.store, 'no level'));
      // reads see writes that were not flushed yet
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 10, 5))).toEqual(['p5-2', 'p5-4', 'p5-7']);
      await ctx.beforeAndAfterRestart((s) => {
        expect(bodiesOf(s.loadEntries(q, 0, 10, 5))).toEqual(['p5-2', 'p5-4', 'p5-7']);
        expect(bodiesOf(s.loadEntries(q, 2, 1, 5))).toEqual(['p5-4']);
        expect(bodiesOf(s.loadEntries(q, 4, 10, 5))).toEqual(['p5-7']);
        expect(bodiesOf(s.loadEntries(q, 0, 10, 0))).toEqual(['p0-1', 'p0-5']);
        expect(bodiesOf(s.loadEntries(q, 0, 10, 255))).toEqual(['p255-6']);
        expect(s.loadEntries(q, 0, 10, 7)).toEqual([]);
        expect(s.loadEntries(q, 0, 0, 5)).toEqual([]);
        expect(s.loadEntries(q, 0, 100).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        // a plain queue's entries have no level: a read by level never sees them
        expect(s.loadEntries(plain, 0, 10, 0)).toEqual([]);
        expect(bodiesOf(s.loadEntries(plain, 0, 10))).toEqual(['no level']);
      });
    });

    test('removed and purged entries leave their level', async () => {
      const q = ctx.store.putQueue(queue('/', 'pq'));
      const ids: number[] = [];
      for (let seq = 1; seq <= 6; seq++) {
        const m = message(ctx.store, `m${seq}`);
        ids.push(m.id);
        ctx.store.enqueue(q, seq, m, 0, seq % 2);
      }
      ctx.store.remove(q, 3, ids[2]!);
      await ctx.store.flush();
      ctx.store.remove(q, 2, ids[1]!);
      await ctx.beforeAndAfterRestart((s) => {
        expect(bodiesOf(s.loadEntries(q, 0, 10, 1))).toEqual(['m1', 'm5']);
        expect(bodiesOf(s.loadEntries(q, 0, 10, 0))).toEqual(['m4', 'm6']);
      });
      ctx.store.purge(q);
      expect(ctx.store.loadEntries(q, 0, 10, 1)).toEqual([]);
      ctx.store.enqueue(q, 7, message(ctx.store, 'after purge'), 0, 1);
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 10, 1))).toEqual(['after purge']);
    });

    test('nextExpiry and loadExpired with a priority look at that level only', async () => {
      const q = ctx.store.putQueue(queue('/', 'pq'));
      ctx.store.enqueue(q, 1, message(ctx.store, 'low early'), T + 10, 0);
      ctx.store.enqueue(q, 2, message(ctx.store, 'high late'), T + 50, 3);
      ctx.store.enqueue(q, 3, message(ctx.store, 'high early'), T + 20, 3);
      ctx.store.enqueue(q, 4, message(ctx.store, 'high never'), 0, 3);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.nextExpiry(q, 0)).toBe(T + 10);
        expect(s.nextExpiry(q, 0, 3)).toBe(T + 20);
        expect(s.nextExpiry(q, 3, 3)).toBe(0);
        expect(s.nextExpiry(q, 0, 0)).toBe(T + 10);
        expect(s.nextExpiry(q, 0, 1)).toBe(0);
        expect(bodiesOf(s.loadExpired(q, 0, T + 50, 10, 3))).toEqual(['high early', 'high late']);
        expect(bodiesOf(s.loadExpired(q, 2, T + 50, 10, 3))).toEqual(['high early']);
        expect(bodiesOf(s.loadExpired(q, 0, T + 50, 1, 3))).toEqual(['high early']);
        expect(bodiesOf(s.loadExpired(q, 0, T + 50, 10, 0))).toEqual(['low early']);
        expect(bodiesOf(s.loadExpired(q, 0, T + 50, 10))).toEqual(['low early', 'high early', 'high late']);
      });
    });
  });
}
