import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context';
import { message, queue } from './fixtures';

/**
 * The Store contract: the browser's index reads. entrySeqAt finds the entry at a rank after a seq and countEntries
 * counts a seq range, of one priority level when given, seeing unflushed writes and removals.
 */
export function browseContract(ctx: ContractContext): void {
  describe('browse reads (entrySeqAt, countEntries)', () => {
    test('the seq at a rank and the count of a range, of the whole queue or one level, after removals and restarts', async () => {
      const q = ctx.store.putQueue(queue('/', 'bq'));
      const pq = ctx.store.putQueue(queue('/', 'bpq'));
      const ids: number[] = [];
      for (let seq = 1; seq <= 10; seq++) {
        const m = message(ctx.store, `m${seq}`);
        ids.push(m.id);
        ctx.store.enqueue(q, seq * 10, m);
        ctx.store.enqueue(pq, seq, message(ctx.store, `p${seq}`), 0, seq % 2);
      }
      ctx.store.remove(q, 30, ids[2] as number);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.entrySeqAt(q, 0, 0)).toBe(10);
        expect(s.entrySeqAt(q, 0, 2)).toBe(40);
        expect(s.entrySeqAt(q, 40, 0)).toBe(50);
        expect(s.entrySeqAt(q, 0, 8)).toBe(100);
        expect(s.entrySeqAt(q, 0, 9)).toBe(0);
        expect(s.countEntries(q, 0, Number.MAX_SAFE_INTEGER)).toBe(9);
        expect(s.countEntries(q, 10, 60)).toBe(3);
        expect(s.entrySeqAt(pq, 0, 1, 1)).toBe(3);
        expect(s.entrySeqAt(pq, 3, 0, 0)).toBe(4);
        expect(s.countEntries(pq, 0, Number.MAX_SAFE_INTEGER, 0)).toBe(5);
        expect(s.countEntries(pq, 2, 9, 1)).toBe(3);
        expect(s.entrySeqAt(999_999, 0, 0)).toBe(0);
        expect(s.countEntries(999_999, 0, 10)).toBe(0);
      });
    });
  });
}
