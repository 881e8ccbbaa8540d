import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Store } from '../../store';
import type { ContractContext } from './context';
import { parameter, sortedParameters, POLICY_VALUE } from './fixtures';

/** The Store contract: runtime parameters (policies, limits, global parameters). */
export function parametersContract(ctx: ContractContext): void {
  let store: Store;
  beforeEach(() => {
    store = ctx.store;
  });

  /** Flush, then restart on the same state. */
  async function restart(): Promise<Store> {
    store = await ctx.restart();
    return store;
  }

  /** Runs the same checks on the store as it is and again after a restart. */
  async function beforeAndAfterRestart(check: (s: Store) => void): Promise<void> {
    check(store);
    check(await restart());
  }

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
      for (const r of records) store.putParameter(r);
      // reads see writes that were not flushed yet
      expect(sortedParameters(store.loadParameters())).toEqual(sortedParameters(records));

      await beforeAndAfterRestart((s) => {
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
      store.putParameter(parameter('policy', '/', 'p', value));
      value.definition['max-length'] = 2;
      value.list.push(2);
      const loaded = store.loadParameters()[0]!.value as { list: number[] };
      loaded.list.push(3);
      await beforeAndAfterRestart((s) => {
        expect(s.loadParameters()).toEqual([parameter('policy', '/', 'p', { definition: { 'max-length': 1 }, list: [1] })]);
      });
    });

    test('put replaces the record of the same (component, vhost, name); the three keys are distinct', async () => {
      store.putParameter(parameter('policy', '/', 'p', { priority: 1 }));
      store.putParameter(parameter('policy', '/', 'p', { priority: 2 }));
      store.putParameter(parameter('operator_policy', '/', 'p', 'other component'));
      store.putParameter(parameter('policy', 'v2', 'p', 'other vhost'));
      store.putParameter(parameter('policy', '/', 'q', 'other name'));
      await store.flush();
      store.putParameter(parameter('policy', '/', 'p', [3])); // replacing a record already on disk
      await beforeAndAfterRestart((s) => {
        const loaded = s.loadParameters();
        expect(loaded).toHaveLength(4);
        expect(loaded.filter((p) => p.component === 'policy' && p.vhost === '/' && p.name === 'p')).toEqual([
          parameter('policy', '/', 'p', [3]),
        ]);
      });
    });

    test('delete removes one record; deleting a missing one is a no-op', async () => {
      store.putParameter(parameter('policy', '/', 'a', 1));
      store.putParameter(parameter('policy', '/', 'b', 2));
      store.putParameter(parameter('global', '', 'a', 3));
      await store.flush();
      store.deleteParameter('policy', '/', 'a');
      store.deleteParameter('policy', '/', 'missing');
      store.deleteParameter('policy', 'nowhere', 'b');
      expect(sortedParameters(store.loadParameters())).toEqual([parameter('global', '', 'a', 3), parameter('policy', '/', 'b', 2)]);
      // put then delete in one batch leaves nothing; delete then put leaves the put
      store.putParameter(parameter('policy', '/', 'c', 'gone'));
      store.deleteParameter('policy', '/', 'c');
      store.deleteParameter('policy', '/', 'b');
      store.putParameter(parameter('policy', '/', 'b', 'back'));
      await beforeAndAfterRestart((s) => {
        expect(sortedParameters(s.loadParameters())).toEqual([
          parameter('global', '', 'a', 3),
          parameter('policy', '/', 'b', 'back'),
        ]);
      });
    });

    test("deleteVhost removes that vhost's parameters only, never the broker-wide ones", async () => {
      for (const v of ['a', 'b']) {
        store.putVhost({ name: v, description: '', tags: [] });
        store.putParameter(parameter('policy', v, 'p', { v }));
        store.putParameter(parameter('vhost-limits', v, 'limits', { 'max-queues': 1 }));
      }
      store.putParameter(parameter('global', '', 'cluster_name', 'x'));
      store.putParameter(parameter('user-limits', '', 'a', { 'max-connections': 1 })); // a user named like the vhost
      await store.flush();
      store.deleteVhost('a');
      store.deleteVhost(''); // there is no vhost '': the broker-wide parameters stay
      await beforeAndAfterRestart((s) => {
        expect(sortedParameters(s.loadParameters())).toEqual([
          parameter('global', '', 'cluster_name', 'x'),
          parameter('policy', 'b', 'p', { v: 'b' }),
          parameter('user-limits', '', 'a', { 'max-connections': 1 }),
          parameter('vhost-limits', 'b', 'limits', { 'max-queues': 1 }),
        ]);
      });
      // a vhost re-created under the old name starts without parameters, and takes new ones
      store.putVhost({ name: 'a', description: '', tags: [] });
      expect(store.loadParameters().filter((p) => p.vhost === 'a')).toEqual([]);
      store.putParameter(parameter('policy', 'a', 'new', 1));
      await restart();
      expect(store.loadParameters().filter((p) => p.vhost === 'a')).toEqual([parameter('policy', 'a', 'new', 1)]);
    });

    test('a value with no JSON form is refused at put and stores nothing; JSON rules apply inside', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      for (const bad of [undefined, () => 1, 1n, { big: 2n }, cyclic]) {
        expect(() => store.putParameter(parameter('policy', '/', 'bad', bad))).toThrow(TypeError);
      }
      store.putParameter(parameter('policy', '/', 'ok', { dropped: undefined, nan: Number.NaN, list: [undefined] }));
      await beforeAndAfterRestart((s) => {
        expect(s.loadParameters()).toEqual([parameter('policy', '/', 'ok', { nan: null, list: [null] })]);
      });
    });
  });
}
