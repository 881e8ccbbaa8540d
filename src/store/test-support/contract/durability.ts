import { describe, expect, test } from '@jest/globals';
import { eventually } from '../../../test-support/eventually';
import type { ContractContext } from './context';
import { queue, message, Recorder } from './fixtures';

/** The Store contract: afterCommit listeners and flush(). */
export function durabilityContract(ctx: ContractContext): void {
  describe('durability', () => {
    test('afterCommit listeners are called in order, never synchronously, before flush() resolves', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const r = new Recorder();
      ctx.store.enqueue(q, 1, message(ctx.store, 'a'));
      ctx.store.afterCommit(r, 1);
      ctx.store.afterCommit(r, 2);
      ctx.store.enqueue(q, 2, message(ctx.store, 'b'));
      ctx.store.afterCommit(r, 3);
      expect(r.seen).toEqual([]);
      await ctx.store.flush();
      expect(r.seen).toEqual([1, 2, 3]);
      ctx.store.afterCommit(r, 4); // nothing written since: still called, still later
      expect(r.seen).toEqual([1, 2, 3]);
      await ctx.store.flush();
      expect(r.seen).toEqual([1, 2, 3, 4]);
    });

    test('afterCommit listeners run without anyone calling flush()', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const r = new Recorder();
      ctx.store.enqueue(q, 1, message(ctx.store, 'a'));
      ctx.store.afterCommit(r, 7);
      await eventually(() => r.seen.length >= 1, 5000, 'the listener');
      expect(r.seen).toEqual([7]);
    });

    test('listeners registered in later turns come after earlier ones', async () => {
      const r = new Recorder();
      const q = ctx.store.putQueue(queue('/', 'q'));
      for (let turn = 0; turn < 5; turn++) {
        ctx.store.enqueue(q, turn + 1, message(ctx.store, `t${turn}`));
        ctx.store.afterCommit(r, turn * 2);
        ctx.store.afterCommit(r, turn * 2 + 1);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await ctx.store.flush();
      expect(r.seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });
}
