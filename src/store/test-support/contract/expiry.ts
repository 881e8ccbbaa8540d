import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context';
import { queue, message } from './fixtures';

/** The Store contract: expiry deadlines: nextExpiry and loadExpired. */
export function expiryContract(ctx: ContractContext): void {
  describe('expiry deadlines', () => {
    const T = 1_700_000_000_000;

    test('each entry keeps its own deadline (0: none), across restarts; the same message may differ per queue', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const other = ctx.store.putQueue(queue('/', 'other'));
      const shared = message(ctx.store, 'shared');
      ctx.store.enqueue(q, 1, shared, T + 500);
      ctx.store.enqueue(other, 1, shared, T + 900);
      ctx.store.enqueue(q, 2, message(ctx.store, 'forever'));
      ctx.store.enqueue(q, 3, message(ctx.store, 'zero'), 0);
      ctx.store.enqueue(q, 4, message(ctx.store, 'negative means none'), -5);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadEntries(q, 0, 10).map((e) => [e.seq, e.expiresAt])).toEqual([[1, T + 500], [2, 0], [3, 0], [4, 0]]);
        expect(s.loadEntries(other, 0, 10).map((e) => [e.seq, e.expiresAt])).toEqual([[1, T + 900]]);
      });
    });

    test('nextExpiry: the earliest deadline after afterSeq, 0 when none; removed entries do not count', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const other = ctx.store.putQueue(queue('/', 'other'));
      expect(ctx.store.nextExpiry(q, 0)).toBe(0);
      ctx.store.enqueue(q, 1, message(ctx.store, 'a'), T + 300);
      ctx.store.enqueue(q, 2, message(ctx.store, 'b'));
      ctx.store.enqueue(q, 3, message(ctx.store, 'c'), T + 100);
      ctx.store.enqueue(q, 4, message(ctx.store, 'd'), T + 200);
      ctx.store.enqueue(other, 1, message(ctx.store, 'elsewhere'), T + 1);
      // reads see writes that were not flushed yet
      expect(ctx.store.nextExpiry(q, 0)).toBe(T + 100);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.nextExpiry(q, 0)).toBe(T + 100);
        expect(s.nextExpiry(q, 3)).toBe(T + 200);
        expect(s.nextExpiry(q, 4)).toBe(0);
        expect(s.nextExpiry(999_999, 0)).toBe(0);
      });
      ctx.store.remove(q, 3, 0);
      expect(ctx.store.nextExpiry(q, 0)).toBe(T + 200);
      await ctx.restart();
      expect(ctx.store.nextExpiry(q, 0)).toBe(T + 200);
      expect(ctx.store.nextExpiry(q, 1)).toBe(T + 200);
      ctx.store.purge(q);
      expect(ctx.store.nextExpiry(q, 0)).toBe(0);
      expect(ctx.store.nextExpiry(other, 0)).toBe(T + 1);
    });

    test('loadExpired: entries after afterSeq due at now, by deadline then seq, up to limit; nothing is removed', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const deadlines: [number, number][] = [[1, T + 50], [2, 0], [3, T + 10], [4, T + 50], [5, T + 10], [6, T + 999], [7, T + 20]];
      for (const [seq, at] of deadlines) ctx.store.enqueue(q, seq, message(ctx.store, `m${seq}`), at);
      expect(ctx.store.loadExpired(q, 0, T + 50, 100).map((e) => e.seq)).toEqual([3, 5, 7, 1, 4]);
      await ctx.beforeAndAfterRestart((s) => {
        const all = s.loadExpired(q, 0, T + 50, 100);
        expect(all.map((e) => [e.seq, e.expiresAt])).toEqual([[3, T + 10], [5, T + 10], [7, T + 20], [1, T + 50], [4, T + 50]]);
        expect(all[0]!.message.body.toString()).toBe('m3');
        expect(all[0]!.redelivered).toBe(false);
        expect(s.loadExpired(q, 0, T + 50, 2).map((e) => e.seq)).toEqual([3, 5]);
        expect(s.loadExpired(q, 3, T + 50, 100).map((e) => e.seq)).toEqual([5, 7, 4]);
        expect(s.loadExpired(q, 0, T + 9, 100)).toEqual([]);
        expect(s.loadExpired(q, 0, T + 10, 100).map((e) => e.seq)).toEqual([3, 5]);
        expect(s.loadExpired(q, 0, T + 50, 0)).toEqual([]);
        expect(s.loadExpired(999_999, 0, T + 50, 10)).toEqual([]);
        expect(s.queueStats(q).messages).toBe(7);
      });
      ctx.store.markDelivered(q, 5);
      ctx.store.remove(q, 3, 0);
      await ctx.restart();
      expect(ctx.store.loadExpired(q, 0, T + 20, 100).map((e) => [e.seq, e.redelivered])).toEqual([[5, true], [7, false]]);
    });

    test('a cancelled enqueue leaves no deadline behind, nor does a deleted queue', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const m = message(ctx.store, 'gone');
      ctx.store.enqueue(q, 1, m, T + 5);
      ctx.store.remove(q, 1, m.id);
      ctx.store.enqueue(q, 2, message(ctx.store, 'kept'), T + 7);
      expect(ctx.store.nextExpiry(q, 0)).toBe(T + 7);
      await ctx.restart();
      expect(ctx.store.loadExpired(q, 0, T + 10, 10).map((e) => e.seq)).toEqual([2]);
      ctx.store.deleteQueue('/', 'q');
      const again = ctx.store.putQueue(queue('/', 'q'));
      expect(ctx.store.nextExpiry(again, 0)).toBe(0);
      expect(ctx.store.loadExpired(again, 0, T + 10, 10)).toEqual([]);
    });

    test('many entries expiring in and out of order come back sorted', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const expected: [number, number][] = [];
      for (let seq = 1; seq <= 500; seq++) {
        const at = seq % 3 === 0 ? 0 : T + ((seq * 7919) % 1000);
        ctx.store.enqueue(q, seq, message(ctx.store, `m${seq}`), at);
        if (at > 0) expected.push([at, seq]);
      }
      for (let seq = 1; seq <= 500; seq += 10) {
        ctx.store.remove(q, seq, 0);
        const i = expected.findIndex(([, s]) => s === seq);
        if (i >= 0) expected.splice(i, 1);
      }
      expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadExpired(q, 0, T + 1000, 1000).map((e) => [e.expiresAt, e.seq])).toEqual(expected);
        expect(s.nextExpiry(q, 0)).toBe(expected[0]![0]);
        const after = expected.filter(([, seq]) => seq > 250);
        expect(s.nextExpiry(q, 250)).toBe(Math.min(...after.map(([at]) => at)));
      });
    });
  });
}
