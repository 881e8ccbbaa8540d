import { describe, expect, test } from '@jest/globals';
import type { ContractContext } from './context';
import { parameter, sortedParameters, POLICY_VALUE } from './fixtures';

/** The Store contract: runtime parameters (policies, limits, global parameters). */
export function parametersContract(ctx: ContractContext): void {
  describe('runtime parameters', () => {
    test('round-trip nested JSON values of every type, broker-wide and per vhost', async () => {
      const records = [
        parameter('policy', '/', 'ha-all', POLICY_VALUE),
        parameter('operator_policy', 'prod', 'cap', { pattern: '.*', definition: { 'max-length-bytes': 1e9 } }),
        parameter('vhost-limits', 'prod', 'limits', { 'max-connections': 10, 'max-queues': 0 }),
        parameter('user-limits', '', 'guest', { 'max-channels': 5 }),
        parameter('global', '', 'cluster_name', 'leveret@host'),
        parameter('global', '', 'number', 42),
        parameter('global', '', 'flag', false),
        parameter('global', '', 'nothing', null),
        parameter('federation-upstream', '/', 'origin', [{ uri: 'amqp://a' }, { uri: 'amqp://b' }]),
      ];
      for (const r of records) ctx.store.putParameter(r);
      // reads see writes that were not flushed yet
      expect(sortedParameters(ctx.store.loadParameters())).toEqual(sortedParameters(records));

      await ctx.beforeAndAfterRestart((s) => {
        const loaded = s.loadParameters();
        expect(loaded).toHaveLength(records.length);
        expect(sortedParameters(loaded)).toEqual(sortedParameters(records));
        const policy = loaded.find((p) => p.name === 'ha-all')!;
        expect(policy.value).toStrictEqual(POLICY_VALUE);
        expect(loaded.find((p) => p.name === 'nothing')!.value).toBeNull();
      });
    });

    test('the store keeps its own copy: changing a stored or loaded value changes nothing', async () => {
      const value = { definition: { 'max-length': 1 }, list: [1] };
      ctx.store.putParameter(parameter('policy', '/', 'p', value));
      value.definition['max-length'] = 2;
      value.list.push(2);
      const loaded = ctx.store.loadParameters()[0]!.value as { list: number[] };
      loaded.list.push(3);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadParameters()).toEqual([parameter('policy', '/', 'p', { definition: { 'max-length': 1 }, list: [1] })]);
      });
    });

    test('put replaces the record of the same (component, vhost, name); the three keys are distinct', async () => {
      ctx.store.putParameter(parameter('policy', '/', 'p', { priority: 1 }));
      ctx.store.putParameter(parameter('policy', '/', 'p', { priority: 2 }));
      ctx.store.putParameter(parameter('operator_policy', '/', 'p', 'other component'));
      ctx.store.putParameter(parameter('policy', 'v2', 'p', 'other vhost'));
      ctx.store.putParameter(parameter('policy', '/', 'q', 'other name'));
      await ctx.store.flush();
      ctx.store.putParameter(parameter('policy', '/', 'p', [3])); // replacing a record already on disk
      await ctx.beforeAndAfterRestart((s) => {
        const loaded = s.loadParameters();
        expect(loaded).toHaveLength(4);
        expect(loaded.filter((p) => p.component === 'policy' && p.vhost === '/' && p.name === 'p')).toEqual([
          parameter('policy', '/', 'p', [3]),
        ]);
      });
    });

    test('delete removes one record; deleting a missing one is a no-op', async () => {
      ctx.store.putParameter(parameter('policy', '/', 'a', 1));
      ctx.store.putParameter(parameter('policy', '/', 'b', 2));
      ctx.store.putParameter(parameter('global', '', 'a', 3));
      await ctx.store.flush();
      ctx.store.deleteParameter('policy', '/', 'a');
      ctx.store.deleteParameter('policy', '/', 'missing');
      ctx.store.deleteParameter('policy', 'nowhere', 'b');
      expect(sortedParameters(ctx.store.loadParameters())).toEqual([parameter('global', '', 'a', 3), parameter('policy', '/', 'b', 2)]);
      // put then delete in one batch leaves nothing; delete then put leaves the put
      ctx.store.putParameter(parameter('policy', '/', 'c', 'gone'));
      ctx.store.deleteParameter('policy', '/', 'c');
      ctx.store.deleteParameter('policy', '/', 'b');
      ctx.store.putParameter(parameter('policy', '/', 'b', 'back'));
      await ctx.beforeAndAfterRestart((s) => {
        expect(sortedParameters(s.loadParameters())).toEqual([
          parameter('global', '', 'a', 3),
          parameter('policy', '/', 'b', 'back'),
        ]);
      });
    });

    test("deleteVhost removes that vhost's parameters only, never the broker-wide ones", async () => {
      for (const v of ['a', 'b']) {
        ctx.store.putVhost({ name: v, description: '', tags: [] });
        ctx.store.putParameter(parameter('policy', v, 'p', { v }));
        ctx.store.putParameter(parameter('vhost-limits', v, 'limits', { 'max-queues': 1 }));
      }
      ctx.store.putParameter(parameter('global', '', 'cluster_name', 'x'));
      ctx.store.putParameter(parameter('user-limits', '', 'a', { 'max-connections': 1 })); // a user named like the vhost
      await ctx.store.flush();
      ctx.store.deleteVhost('a');
      ctx.store.deleteVhost(''); // there is no vhost '': the broker-wide parameters stay
      await ctx.beforeAndAfterRestart((s) => {
        expect(sortedParameters(s.loadParameters())).toEqual([
          parameter('global', '', 'cluster_name', 'x'),
          parameter('policy', 'b', 'p', { v: 'b' }),
          parameter('user-limits', '', 'a', { 'max-connections': 1 }),
          parameter('vhost-limits', 'b', 'limits', { 'max-queues': 1 }),
        ]);
      });
      // a vhost re-created under the old name starts without parameters, and takes new ones
      ctx.store.putVhost({ name: 'a', description: '', tags: [] });
      expect(ctx.store.loadParameters().filter((p) => p.vhost === 'a')).toEqual([]);
      ctx.store.putParameter(parameter('policy', 'a', 'new', 1));
      await ctx.restart();
      expect(ctx.store.loadParameters().filter((p) => p.vhost === 'a')).toEqual([parameter('policy', 'a', 'new', 1)]);
    });

    test('a value with no JSON form is refused at put and stores nothing; JSON rules apply inside', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      for (const bad of [undefined, () => 1, 1n, { big: 2n }, cyclic]) {
        expect(() => ctx.store.putParameter(parameter('policy', '/', 'bad', bad))).toThrow(TypeError);
      }
      ctx.store.putParameter(parameter('policy', '/', 'ok', { dropped: undefined, nan: Number.NaN, list: [undefined] }));
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadParameters()).toEqual([parameter('policy', '/', 'ok', { nan: null, list: [null] })]);
      });
    });
  });
}
