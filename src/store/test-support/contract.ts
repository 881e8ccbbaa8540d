/**
 * The Store contract: every Store implementation runs this suite (memory.test.ts, sqlite.test.ts). It lives under
 * test-support/ so the production build and its dependency rules leave it out.
 *
 * make() returns a fresh, empty store; reopen() closes the current one and opens the same state again (a broker
 * restart: for the memory store, the same instance); cleanup() closes and removes what make() created. bodies(),
 * when given, counts the message bodies the store holds (rows of the messages table for SQLite).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { Decimal, type FieldTable } from '../../protocol/field-table';
import { decodeBytes } from '../../protocol/utf8';
import type {
  BindingRecord,
  CommitListener,
  DelayedRecord,
  ExchangeRecord,
  MessageRecord,
  ParameterRecord,
  QuarantineRecord,
  QueueRecord,
  Store,
} from '../store';

export interface StoreFixture {
  store: Store;
  reopen(): Store;
  cleanup(): void;
  bodies?(): number;
}

/** Every field-table value type Leveret writes, with values that decode back to exactly the same JS values. */
export const EVERY_TYPE: FieldTable = {
  str: 'héllo',
  empty: '',
  yes: true,
  no: false,
  int: 42,
  negative: -7,
  int32max: 2147483647,
  big: 2 ** 40,
  huge: 2n ** 62n,
  hugeNegative: -(2n ** 62n),
  double: 1.5,
  bytes: Buffer.from([0, 1, 2, 255]),
  when: new Date(1_700_000_000_000),
  decimal: new Decimal(2, 12345),
  nothing: null,
  list: [1, 'two', [3], { four: 4 }],
  nested: { 'x-inner': { deeper: 'yes', n: 1 }, arr: [] },
};

function exchange(vhost: string, name: string, args: FieldTable = {}): ExchangeRecord {
  return { vhost, name, type: 'topic', durable: true, autoDelete: false, internal: false, arguments: args };
}

function queue(vhost: string, name: string, args: FieldTable = {}): QueueRecord {
  return { vhost, name, durable: true, autoDelete: false, arguments: args };
}

function binding(vhost: string, source: string, destination: string, kind: 'queue' | 'exchange' = 'queue', routingKey = 'rk', args: FieldTable = {}): BindingRecord {
  return { vhost, source, destination, destinationKind: kind, routingKey, arguments: args };
}

function message(store: Store, body: string | Buffer, exchangeName = 'x', routingKey = 'rk'): MessageRecord {
  return {
    id: store.nextMessageId(),
    exchange: exchangeName,
    routingKey,
    properties: Buffer.from([0x80, 0x00, 0x0a, 0x74, 0x65, 0x78, 0x74, 0x2f, 0x70, 0x6c, 0x61, 0x69, 0x6e]),
    body: typeof body === 'string' ? Buffer.from(body) : body,
  };
}

function parameter(component: string, vhost: string, name: string, value: unknown): ParameterRecord {
  return { component, vhost, name, value };
}

/** Parameters in a stable order, so lists compare whatever order a store returns them in. */
function sortedParameters(list: ParameterRecord[]): ParameterRecord[] {
  const k = (p: ParameterRecord) => JSON.stringify([p.component, p.vhost, p.name]);
  return [...list].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** A policy-shaped value with every JSON type, nested. */
const POLICY_VALUE = {
  pattern: '^amq\\.',
  'apply-to': 'queues',
  priority: 7,
  definition: {
    'max-length': 1000,
    'message-ttl': 60000.5,
    'ha-mode': 'exactly',
    'ha-params': -2,
    'queue-master-locator': null,
    lazy: true,
    'single-active': false,
    'federation-upstream-set': 'all',
    list: [1, 'two', [3, [4]], { five: 5 }, null, true, false, 0, -0.25, 1e21],
    empty: {},
    none: [],
    unicode: 'héllo ✓ \u0000 𝄞',
  },
};

function delayed(store: Store, vhost: string, exchangeName: string, dueAt: number, body = `due ${dueAt}`): DelayedRecord {
  return {
    id: store.nextDelayedId(),
    vhost,
    exchange: exchangeName,
    routingKey: 'rk',
    properties: Buffer.from([0x20, 0x00, 0x00, 0x00, 0x00, 0x04, 0x05, 0x78, 0x2d, 0x6b, 0x65, 0x79]),
    body: Buffer.from(body),
    dueAt,
  };
}

function bodiesOf(entries: { message: MessageRecord }[]): string[] {
  return entries.map((e) => e.message.body.toString());
}

class Recorder implements CommitListener {
  readonly seen: number[] = [];
  committed(token: number): void {
    this.seen.push(token);
  }
}

export function storeContract(name: string, make: () => StoreFixture): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;

    beforeEach(() => {
      fx = make();
      store = fx.store;
    });
    afterEach(() => {
      fx.cleanup();
    });

    /** Flush, then restart on the same state. */
    async function restart(): Promise<Store> {
      await store.flush();
      store = fx.reopen();
      return store;
    }

    /** Runs the same checks on the store as it is and again after a restart. */
    async function beforeAndAfterRestart(check: (s: Store) => void): Promise<void> {
      check(store);
      check(await restart());
    }

    describe('definitions', () => {
      test('exchanges, queues and bindings round-trip, arguments of every type exactly', async () => {
        store.putExchange(exchange('/', 'x', EVERY_TYPE));
        store.putExchange({ ...exchange('/', 'ax'), type: 'fanout', durable: true, autoDelete: true, internal: true });
        const id = store.putQueue(queue('/', 'q', EVERY_TYPE));
        store.putBinding(binding('/', 'x', 'q', 'queue', 'a.#', EVERY_TYPE));
        store.putBinding(binding('/', 'x', 'ax', 'exchange', '', {}));

        await beforeAndAfterRestart((s) => {
          const defs = s.loadDefinitions();
          const byName = (n: string) => defs.exchanges.find((e) => e.name === n);
          expect(byName('x')).toEqual(exchange('/', 'x', EVERY_TYPE));
          expect(byName('ax')).toEqual({ ...exchange('/', 'ax'), type: 'fanout', autoDelete: true, internal: true });
          expect(defs.queues).toEqual([{ ...queue('/', 'q', EVERY_TYPE), id }]);
          expect(defs.bindings).toHaveLength(2);
          expect(defs.bindings).toContainEqual(binding('/', 'x', 'q', 'queue', 'a.#', EVERY_TYPE));
          expect(defs.bindings).toContainEqual(binding('/', 'x', 'ax', 'exchange', '', {}));
          const q = defs.queues[0]!;
          expect(typeof q.arguments['huge']).toBe('bigint');
          expect(Buffer.isBuffer(q.arguments['bytes'])).toBe(true);
          expect(q.arguments['decimal']).toBeInstanceOf(Decimal);
          expect(q.arguments['when']).toBeInstanceOf(Date);
        });
      });

      test('put updates in place; the same binding put twice is stored once, equal arguments in any key order', async () => {
        store.putExchange(exchange('/', 'x', { a: 1 }));
        store.putExchange({ ...exchange('/', 'x', { b: 2 }), type: 'direct' });
        store.putQueue(queue('/', 'q'));
        store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 1, b: 'two' }));
        store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
        store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' }));
        await restart();
        const defs = store.loadDefinitions();
        expect(defs.exchanges).toEqual([{ ...exchange('/', 'x', { b: 2 }), type: 'direct' }]);
        expect(defs.bindings).toHaveLength(2);
        store.deleteBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
        expect(store.loadDefinitions().bindings).toEqual([binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' })]);
      });

      test('putQueue keeps the id of a (vhost, name), across restarts; other queues get other ids', async () => {
        const a = store.putQueue(queue('/', 'a'));
        const b = store.putQueue(queue('/', 'b'));
        const a2 = store.putQueue(queue('/', 'a', { 'x-max-length': 10 }));
        const otherVhost = store.putQueue(queue('v2', 'a'));
        expect(a2).toBe(a);
        expect(new Set([a, b, otherVhost]).size).toBe(3);
        await restart();
        expect(store.putQueue(queue('/', 'a', { 'x-max-length': 20 }))).toBe(a);
        const c = store.putQueue(queue('/', 'c'));
        expect([a, b, otherVhost]).not.toContain(c);
        const defs = store.loadDefinitions();
        expect(defs.queues.find((q) => q.name === 'a' && q.vhost === '/')).toEqual({
          ...queue('/', 'a', { 'x-max-length': 20 }),
          id: a,
        });
        expect(defs.queues).toHaveLength(4);
      });

      test('deleting a queue removes its entries, its bindings and the bodies only it held', async () => {
        store.putExchange(exchange('/', 'x'));
        store.putExchange(exchange('/', 'x2'));
        const q = store.putQueue(queue('/', 'q'));
        const keep = store.putQueue(queue('/', 'keep'));
        store.putBinding(binding('/', 'x', 'q'));
        store.putBinding(binding('/', 'x', 'x2', 'exchange'));
        store.putBinding(binding('/', 'x', 'keep'));
        const shared = message(store, 'shared');
        store.enqueue(q, 1, shared);
        store.enqueue(keep, 1, shared);
        store.enqueue(q, 2, message(store, 'only-q'));
        await store.flush();
        store.deleteQueue('/', 'q');
        await restart();
        const defs = store.loadDefinitions();
        expect(defs.queues.map((x) => x.name)).toEqual(['keep']);
        expect(defs.bindings).toHaveLength(2);
        expect(defs.bindings).not.toContainEqual(binding('/', 'x', 'q'));
        expect(store.loadEntries(q, 0, 10)).toEqual([]);
        expect(store.queueStats(q).messages).toBe(0);
        expect(bodiesOf(store.loadEntries(keep, 0, 10))).toEqual(['shared']);
        if (fx.bodies) expect(fx.bodies()).toBe(1);
        // a queue declared again under the old name starts empty
        const again = store.putQueue(queue('/', 'q'));
        expect(store.loadEntries(again, 0, 10)).toEqual([]);
        expect(store.queueStats(again).messages).toBe(0);
      });

      test('deleting an exchange removes the bindings from it and to it', async () => {
        store.putExchange(exchange('/', 'x'));
        store.putExchange(exchange('/', 'y'));
        store.putQueue(queue('/', 'q'));
        store.putBinding(binding('/', 'x', 'q'));
        store.putBinding(binding('/', 'y', 'x', 'exchange'));
        store.putBinding(binding('/', 'y', 'q'));
        store.putBinding(binding('other', 'x', 'q'));
        store.deleteExchange('/', 'x');
        await restart();
        const defs = store.loadDefinitions();
        expect(defs.exchanges.map((e) => e.name)).toEqual(['y']);
        expect(defs.bindings).toHaveLength(2);
        expect(defs.bindings).toContainEqual(binding('/', 'y', 'q'));
        expect(defs.bindings).toContainEqual(binding('other', 'x', 'q'));
      });

      test('deleting a vhost removes everything in it and nothing elsewhere', async () => {
        for (const v of ['a', 'b']) {
          store.putVhost({ name: v, description: '', tags: [] });
          store.putExchange(exchange(v, 'x'));
          const q = store.putQueue(queue(v, 'q'));
          store.putBinding(binding(v, 'x', 'q'));
          store.putPermission({ user: 'u', vhost: v, configure: '.*', write: '.*', read: '.*' });
          store.enqueue(q, 1, message(store, `in ${v}`));
        }
        store.putUser({ name: 'u', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
        const qa = store.loadDefinitions().queues.find((q) => q.vhost === 'a')!.id;
        store.deleteVhost('a');
        await restart();
        const defs = store.loadDefinitions();
        expect(defs.exchanges.map((e) => e.vhost)).toEqual(['b']);
        expect(defs.queues.map((q) => q.vhost)).toEqual(['b']);
        expect(defs.bindings.map((b) => b.vhost)).toEqual(['b']);
        const access = store.loadAccess();
        expect(access.vhosts.map((v) => v.name)).toEqual(['b']);
        expect(access.permissions.map((p) => p.vhost)).toEqual(['b']);
        expect(access.users.map((u) => u.name)).toEqual(['u']);
        expect(store.loadEntries(qa, 0, 10)).toEqual([]);
        const qb = defs.queues[0]!.id;
        expect(bodiesOf(store.loadEntries(qb, 0, 10))).toEqual(['in b']);
        if (fx.bodies) expect(fx.bodies()).toBe(1);
      });
    });

    describe('access', () => {
      test('vhosts, users and permissions round-trip, update and delete', async () => {
        store.putVhost({ name: '/', description: 'default', tags: [] });
        store.putVhost({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
        store.putUser({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
        store.putUser({ name: 'app', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
        store.putPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
        store.putPermission({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
        store.putPermission({ user: 'app', vhost: '/', configure: 'x', write: 'y', read: 'z' });

        await beforeAndAfterRestart((s) => {
          const access = s.loadAccess();
          expect(access.vhosts).toHaveLength(2);
          expect(access.vhosts).toContainEqual({ name: '/', description: 'default', tags: [] });
          expect(access.vhosts).toContainEqual({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
          expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
          expect(access.users).toHaveLength(2);
          expect(access.permissions).toHaveLength(3);
          expect(access.permissions).toContainEqual({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
        });

        store.putUser({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
        store.putPermission({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
        store.putVhost({ name: 'prod', description: 'changed', tags: [] });
        store.deletePermission('app', '/');
        await restart();
        let access = store.loadAccess();
        expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
        expect(access.permissions).toContainEqual({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
        expect(access.permissions).toHaveLength(2);
        expect(access.vhosts).toContainEqual({ name: 'prod', description: 'changed', tags: [] });

        store.deleteUser('app');
        await restart();
        access = store.loadAccess();
        expect(access.users.map((u) => u.name)).toEqual(['guest']);
        expect(access.permissions.map((p) => p.user)).toEqual(['guest']);
      });
    });

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

    describe('messages', () => {
      test('loadEntries returns entries in seq order, paged by afterSeq and limit', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const other = store.putQueue(queue('/', 'other'));
        for (let seq = 1; seq <= 25; seq++) store.enqueue(q, seq, message(store, `m${seq}`));
        store.enqueue(other, 1, message(store, 'elsewhere'));
        // reads see writes that were not flushed yet
        expect(bodiesOf(store.loadEntries(q, 0, 3))).toEqual(['m1', 'm2', 'm3']);

        await beforeAndAfterRestart((s) => {
          const all: string[] = [];
          let after = 0;
          for (;;) {
            const page = s.loadEntries(q, after, 10);
            if (page.length === 0) break;
            expect(page.length).toBeLessThanOrEqual(10);
            all.push(...bodiesOf(page));
            after = page[page.length - 1]!.seq;
          }
          expect(all).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
          expect(s.loadEntries(q, 20, 100).map((e) => e.seq)).toEqual([21, 22, 23, 24, 25]);
          expect(s.loadEntries(q, 0, 0)).toEqual([]);
          const first = s.loadEntries(q, 0, 1)[0]!;
          expect(first.redelivered).toBe(false);
          expect(first.message.exchange).toBe('x');
          expect(first.message.routingKey).toBe('rk');
          expect(first.message.properties).toEqual(message(s, '').properties);
        });
      });

      test('an exchange and routing key of any bytes (escapes of non-UTF-8, protocol/utf8.ts) come back exactly', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const rk = decodeBytes(Buffer.from('71fffe80c3a9', 'hex'), 0, 6);
        const x = decodeBytes(Buffer.from('78ff', 'hex'), 0, 2);
        store.enqueue(q, 1, message(store, 'odd', x, rk));
        store.enqueue(q, 2, message(store, 'plain', 'x', 'k\u00e9'));
        const due = 1_700_000_000_000;
        store.putDelayed({ ...delayed(store, '/', 'dx', due), routingKey: rk });
        await beforeAndAfterRestart((s) => {
          const [odd, plain] = s.loadEntries(q, 0, 10);
          expect(odd?.message.routingKey).toBe(rk);
          expect(odd?.message.exchange).toBe(x);
          expect(plain?.message.routingKey).toBe('k\u00e9');
          expect(s.loadDue(due, 10)[0]?.routingKey).toBe(rk);
        });
      });

      test('entries enqueued out of seq order still load in seq order; gaps are fine', async () => {
        const q = store.putQueue(queue('/', 'q'));
        for (const seq of [10, 3, 7, 100]) store.enqueue(q, seq, message(store, `s${seq}`));
        store.remove(q, 7, 0);
        await restart();
        expect(store.loadEntries(q, 0, 10).map((e) => e.seq)).toEqual([3, 10, 100]);
        expect(store.loadEntries(q, 3, 10).map((e) => e.seq)).toEqual([10, 100]);
      });

      test('removed entries are gone, after a flush and after a restart', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const ids: number[] = [];
        for (let seq = 1; seq <= 5; seq++) {
          const m = message(store, `m${seq}`);
          ids.push(m.id);
          store.enqueue(q, seq, m);
        }
        await store.flush();
        store.remove(q, 1, ids[0]!);
        store.remove(q, 4, ids[3]!);
        expect(bodiesOf(store.loadEntries(q, 0, 10))).toEqual(['m2', 'm3', 'm5']);
        await restart();
        expect(bodiesOf(store.loadEntries(q, 0, 10))).toEqual(['m2', 'm3', 'm5']);
        if (fx.bodies) expect(fx.bodies()).toBe(3);
      });

      test('a body routed to several queues is stored once and freed after the last queue lets go', async () => {
        const q1 = store.putQueue(queue('/', 'q1'));
        const q2 = store.putQueue(queue('/', 'q2'));
        const q3 = store.putQueue(queue('/', 'q3'));
        const m = message(store, Buffer.alloc(1000, 7));
        store.enqueue(q1, 1, m);
        store.enqueue(q2, 1, m);
        await store.flush();
        store.enqueue(q3, 5, m); // a later batch adds a reference to a stored body
        await restart();
        if (fx.bodies) expect(fx.bodies()).toBe(1);
        for (const q of [q1, q2, q3]) expect(store.loadEntries(q, 0, 10).map((e) => e.message.id)).toEqual([m.id]);
        store.remove(q1, 1, m.id);
        store.remove(q3, 5, m.id);
        await restart();
        if (fx.bodies) expect(fx.bodies()).toBe(1);
        expect(store.loadEntries(q2, 0, 10)[0]!.message.body).toEqual(m.body);
        store.remove(q2, 1, m.id);
        await restart();
        if (fx.bodies) expect(fx.bodies()).toBe(0);
        for (const q of [q1, q2, q3]) expect(store.queueStats(q).messages).toBe(0);
      });

      test('an entry removed before its enqueue was flushed never reaches disk', async () => {
        const q1 = store.putQueue(queue('/', 'q1'));
        const q2 = store.putQueue(queue('/', 'q2'));
        const acked = message(store, 'acked at once');
        const fanned = message(store, 'fanned');
        store.enqueue(q1, 1, acked);
        store.enqueue(q1, 2, fanned);
        store.enqueue(q2, 1, fanned);
        store.markDelivered(q1, 1);
        store.remove(q1, 1, acked.id);
        store.remove(q1, 2, fanned.id);
        expect(store.loadEntries(q1, 0, 10)).toEqual([]);
        await restart();
        expect(store.loadEntries(q1, 0, 10)).toEqual([]);
        expect(store.queueStats(q1)).toEqual({ messages: 0, bytes: 0, lastSeq: 2 });
        expect(bodiesOf(store.loadEntries(q2, 0, 10))).toEqual(['fanned']);
        if (fx.bodies) expect(fx.bodies()).toBe(1);
      });

      test('markDelivered: the entry comes back redelivered after a restart', async () => {
        const q = store.putQueue(queue('/', 'q'));
        for (let seq = 1; seq <= 4; seq++) store.enqueue(q, seq, message(store, `m${seq}`));
        store.markDelivered(q, 1); // in the same batch as its enqueue
        await store.flush();
        store.markDelivered(q, 3); // after the enqueue was written
        store.markDelivered(q, 4);
        store.remove(q, 4, 0); // delivered and acked in one batch
        await restart();
        expect(store.loadEntries(q, 0, 10).map((e) => [e.seq, e.redelivered])).toEqual([
          [1, true],
          [2, false],
          [3, true],
        ]);
      });

      test('purge removes every entry of one queue, returns how many, keeps lastSeq and shared bodies', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const other = store.putQueue(queue('/', 'other'));
        for (let seq = 1; seq <= 10; seq++) store.enqueue(q, seq, message(store, `m${seq}`));
        const shared = message(store, 'shared');
        store.enqueue(q, 11, shared);
        store.enqueue(other, 1, shared);
        store.remove(q, 10, 0);
        expect(store.purge(q)).toBe(10);
        expect(store.loadEntries(q, 0, 100)).toEqual([]);
        expect(store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 11 });
        await restart();
        expect(store.loadEntries(q, 0, 100)).toEqual([]);
        expect(store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 11 });
        expect(bodiesOf(store.loadEntries(other, 0, 10))).toEqual(['shared']);
        if (fx.bodies) expect(fx.bodies()).toBe(1);
        expect(store.purge(q)).toBe(0);
        store.enqueue(q, 12, message(store, 'after purge'));
        expect(bodiesOf(store.loadEntries(q, 0, 10))).toEqual(['after purge']);
      });

      test('queueStats counts entries and body bytes; lastSeq is the highest seq ever stored', async () => {
        const q = store.putQueue(queue('/', 'q'));
        expect(store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 0 });
        store.enqueue(q, 1, message(store, 'abc'));
        store.enqueue(q, 2, message(store, Buffer.alloc(1024)));
        store.enqueue(q, 3, message(store, ''));
        expect(store.queueStats(q)).toEqual({ messages: 3, bytes: 1027, lastSeq: 3 });
        store.remove(q, 2, 0);
        await restart();
        expect(store.queueStats(q)).toEqual({ messages: 2, bytes: 3, lastSeq: 3 });
        store.remove(q, 1, 0);
        store.remove(q, 3, 0);
        await restart();
        expect(store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 3 });
        expect(store.queueStats(999_999)).toEqual({ messages: 0, bytes: 0, lastSeq: 0 });
      });

      test('nextMessageId never repeats, across restarts, even when nothing is stored', async () => {
        const seen = new Set<number>();
        let last = 0;
        const take = (s: Store) => {
          const id = s.nextMessageId();
          expect(id).toBeGreaterThan(last);
          expect(seen.has(id)).toBe(false);
          seen.add(id);
          last = id;
          return id;
        };
        const q = store.putQueue(queue('/', 'q'));
        for (let i = 0; i < 5; i++) take(store);
        const id = take(store);
        store.enqueue(q, 1, { ...message(store, 'x'), id });
        store.remove(q, 1, id);
        await restart();
        for (let i = 0; i < 5; i++) take(store);
        await restart();
        take(store);
      });
    });

    describe('expiry deadlines', () => {
      const T = 1_700_000_000_000;

      test('each entry keeps its own deadline (0: none), across restarts; the same message may differ per queue', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const other = store.putQueue(queue('/', 'other'));
        const shared = message(store, 'shared');
        store.enqueue(q, 1, shared, T + 500);
        store.enqueue(other, 1, shared, T + 900);
        store.enqueue(q, 2, message(store, 'forever'));
        store.enqueue(q, 3, message(store, 'zero'), 0);
        store.enqueue(q, 4, message(store, 'negative means none'), -5);
        await beforeAndAfterRestart((s) => {
          expect(s.loadEntries(q, 0, 10).map((e) => [e.seq, e.expiresAt])).toEqual([[1, T + 500], [2, 0], [3, 0], [4, 0]]);
          expect(s.loadEntries(other, 0, 10).map((e) => [e.seq, e.expiresAt])).toEqual([[1, T + 900]]);
        });
      });

      test('nextExpiry: the earliest deadline after afterSeq, 0 when none; removed entries do not count', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const other = store.putQueue(queue('/', 'other'));
        expect(store.nextExpiry(q, 0)).toBe(0);
        store.enqueue(q, 1, message(store, 'a'), T + 300);
        store.enqueue(q, 2, message(store, 'b'));
        store.enqueue(q, 3, message(store, 'c'), T + 100);
        store.enqueue(q, 4, message(store, 'd'), T + 200);
        store.enqueue(other, 1, message(store, 'elsewhere'), T + 1);
        // reads see writes that were not flushed yet
        expect(store.nextExpiry(q, 0)).toBe(T + 100);
        await beforeAndAfterRestart((s) => {
          expect(s.nextExpiry(q, 0)).toBe(T + 100);
          expect(s.nextExpiry(q, 3)).toBe(T + 200);
          expect(s.nextExpiry(q, 4)).toBe(0);
          expect(s.nextExpiry(999_999, 0)).toBe(0);
        });
        store.remove(q, 3, 0);
        expect(store.nextExpiry(q, 0)).toBe(T + 200);
        await restart();
        expect(store.nextExpiry(q, 0)).toBe(T + 200);
        expect(store.nextExpiry(q, 1)).toBe(T + 200);
        store.purge(q);
        expect(store.nextExpiry(q, 0)).toBe(0);
        expect(store.nextExpiry(other, 0)).toBe(T + 1);
      });

      test('loadExpired: entries after afterSeq due at now, by deadline then seq, up to limit; nothing is removed', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const deadlines: [number, number][] = [[1, T + 50], [2, 0], [3, T + 10], [4, T + 50], [5, T + 10], [6, T + 999], [7, T + 20]];
        for (const [seq, at] of deadlines) store.enqueue(q, seq, message(store, `m${seq}`), at);
        expect(store.loadExpired(q, 0, T + 50, 100).map((e) => e.seq)).toEqual([3, 5, 7, 1, 4]);
        await beforeAndAfterRestart((s) => {
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
        store.markDelivered(q, 5);
        store.remove(q, 3, 0);
        await restart();
        expect(store.loadExpired(q, 0, T + 20, 100).map((e) => [e.seq, e.redelivered])).toEqual([[5, true], [7, false]]);
      });

      test('a cancelled enqueue leaves no deadline behind, nor does a deleted queue', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const m = message(store, 'gone');
        store.enqueue(q, 1, m, T + 5);
        store.remove(q, 1, m.id);
        store.enqueue(q, 2, message(store, 'kept'), T + 7);
        expect(store.nextExpiry(q, 0)).toBe(T + 7);
        await restart();
        expect(store.loadExpired(q, 0, T + 10, 10).map((e) => e.seq)).toEqual([2]);
        store.deleteQueue('/', 'q');
        const again = store.putQueue(queue('/', 'q'));
        expect(store.nextExpiry(again, 0)).toBe(0);
        expect(store.loadExpired(again, 0, T + 10, 10)).toEqual([]);
      });

      test('many entries expiring in and out of order come back sorted', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const expected: [number, number][] = [];
        for (let seq = 1; seq <= 500; seq++) {
          const at = seq % 3 === 0 ? 0 : T + ((seq * 7919) % 1000);
          store.enqueue(q, seq, message(store, `m${seq}`), at);
          if (at > 0) expected.push([at, seq]);
        }
        for (let seq = 1; seq <= 500; seq += 10) {
          store.remove(q, seq, 0);
          const i = expected.findIndex(([, s]) => s === seq);
          if (i >= 0) expected.splice(i, 1);
        }
        expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        await beforeAndAfterRestart((s) => {
          expect(s.loadExpired(q, 0, T + 1000, 1000).map((e) => [e.expiresAt, e.seq])).toEqual(expected);
          expect(s.nextExpiry(q, 0)).toBe(expected[0]![0]);
          const after = expected.filter(([, seq]) => seq > 250);
          expect(s.nextExpiry(q, 250)).toBe(Math.min(...after.map(([at]) => at)));
        });
      });
    });

    describe('delayed messages', () => {
      const T = 1_700_000_000_000;

      test('nextDelayedId never repeats, across restarts, even when nothing is stored', async () => {
        const seen = new Set<number>();
        let last = 0;
        const take = (s: Store) => {
          const id = s.nextDelayedId();
          expect(id).toBeGreaterThan(last);
          expect(seen.has(id)).toBe(false);
          seen.add(id);
          last = id;
        };
        for (let i = 0; i < 3; i++) take(store);
        const r = delayed(store, '/', 'dx', T);
        store.putDelayed(r);
        store.removeDelayed(r.id);
        await restart();
        take(store);
        await restart();
        take(store);
        store.putDelayed(delayed(store, '/', 'dx', T));
        await restart();
        take(store);
      });

      test('records round-trip; loadDue gives those due by dueAt then id, up to limit; nextDue is the earliest', async () => {
        expect(store.nextDue()).toBe(0);
        expect(store.loadDue(T, 10)).toEqual([]);
        const late = delayed(store, '/', 'dx', T + 300);
        const early = delayed(store, '/', 'dx', T + 100);
        const tieA = delayed(store, 'v2', 'other', T + 200);
        const tieB = delayed(store, '/', 'dx', T + 200);
        for (const r of [late, tieB, early, tieA]) store.putDelayed(r);
        // reads see writes that were not flushed yet
        expect(store.nextDue()).toBe(T + 100);
        expect(store.loadDue(T + 200, 10)).toEqual([early, tieA, tieB]);
        await beforeAndAfterRestart((s) => {
          expect(s.nextDue()).toBe(T + 100);
          expect(s.loadDue(T + 99, 10)).toEqual([]);
          expect(s.loadDue(T + 100, 10)).toEqual([early]);
          expect(s.loadDue(T + 200, 10)).toEqual([early, tieA, tieB]);
          expect(s.loadDue(T + 1000, 2)).toEqual([early, tieA]);
          expect(s.loadDue(T + 1000, 0)).toEqual([]);
          // loading removes nothing
          expect(s.loadDue(T + 1000, 10)).toEqual([early, tieA, tieB, late]);
          expect(s.delayedCount('/', 'dx')).toBe(3);
        });
        const loaded = store.loadDue(T + 1000, 10)[3]!;
        expect(Buffer.isBuffer(loaded.body)).toBe(true);
        expect(loaded.properties).toEqual(late.properties);
      });

      test('removeDelayed removes (before or after a flush); unknown ids are ignored; put+remove in a batch leaves nothing', async () => {
        const a = delayed(store, '/', 'dx', T + 1);
        const b = delayed(store, '/', 'dx', T + 2);
        const c = delayed(store, '/', 'dx', T + 3);
        store.putDelayed(a);
        store.putDelayed(b);
        await store.flush();
        store.putDelayed(c);
        store.removeDelayed(a.id); // on disk
        store.removeDelayed(c.id); // in the same batch as its put
        store.removeDelayed(999_999);
        expect(store.nextDue()).toBe(T + 2);
        expect(store.loadDue(T + 10, 10)).toEqual([b]);
        expect(store.delayedCount('/', 'dx')).toBe(1);
        await restart();
        expect(store.loadDue(T + 10, 10)).toEqual([b]);
        store.removeDelayed(b.id);
        expect(store.nextDue()).toBe(0);
        await restart();
        expect(store.nextDue()).toBe(0);
        expect(store.loadDue(T + 10, 10)).toEqual([]);
        expect(store.delayedCount('/', 'dx')).toBe(0);
      });

      test('a scheduler-like loop drains everything due, in order, with reads between removals', async () => {
        const expected: number[] = [];
        for (let i = 0; i < 250; i++) {
          const r = delayed(store, '/', 'dx', T + ((i * 37) % 100));
          store.putDelayed(r);
          expected.push(r.id);
          if (i === 100) await store.flush();
        }
        const order = (id: number) => T + (((id - expected[0]!) * 37) % 100);
        expected.sort((x, y) => order(x) - order(y) || x - y);
        const seen: number[] = [];
        for (let round = 0; round < 100 && store.nextDue() !== 0; round++) {
          for (const r of store.loadDue(store.nextDue() + 10, 7)) {
            seen.push(r.id);
            store.removeDelayed(r.id);
          }
          if (round % 5 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        expect(seen).toEqual(expected);
        await restart();
        expect(store.nextDue()).toBe(0);
      });

      test('deleteDelayed drops one exchange’s records only; delayedCount counts per exchange', async () => {
        store.putDelayed(delayed(store, '/', 'dx', T + 1));
        store.putDelayed(delayed(store, '/', 'dx', T + 2));
        const keptOtherName = delayed(store, '/', 'dy', T + 3);
        const keptOtherVhost = delayed(store, 'v2', 'dx', T + 4);
        store.putDelayed(keptOtherName);
        store.putDelayed(keptOtherVhost);
        await store.flush();
        const buffered = delayed(store, '/', 'dx', T + 0.5);
        store.putDelayed(buffered);
        expect(store.delayedCount('/', 'dx')).toBe(3);
        store.deleteDelayed('/', 'dx');
        expect(store.delayedCount('/', 'dx')).toBe(0);
        expect(store.nextDue()).toBe(T + 3);
        expect(store.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost]);
        // the exchange is declared again and takes new records
        const fresh = delayed(store, '/', 'dx', T + 5);
        store.putDelayed(fresh);
        await beforeAndAfterRestart((s) => {
          expect(s.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost, fresh]);
          expect(s.delayedCount('/', 'dx')).toBe(1);
          expect(s.delayedCount('/', 'dy')).toBe(1);
          expect(s.delayedCount('v2', 'dx')).toBe(1);
          expect(s.delayedCount('v2', 'none')).toBe(0);
        });
      });

      test('deleteVhost drops that vhost’s delayed records, buffered or not', async () => {
        store.putVhost({ name: 'a', description: '', tags: [] });
        store.putVhost({ name: 'b', description: '', tags: [] });
        store.putDelayed(delayed(store, 'a', 'dx', T + 1));
        await store.flush();
        store.putDelayed(delayed(store, 'a', 'dx', T + 2));
        const kept = delayed(store, 'b', 'dx', T + 3);
        store.putDelayed(kept);
        store.deleteVhost('a');
        expect(store.loadDue(T + 10, 10)).toEqual([kept]);
        await beforeAndAfterRestart((s) => {
          expect(s.loadDue(T + 10, 10)).toEqual([kept]);
          expect(s.nextDue()).toBe(T + 3);
          expect(s.delayedCount('a', 'dx')).toBe(0);
        });
      });

      test('delayed writes share the batch: afterCommit covers them', async () => {
        const r = new Recorder();
        const record = delayed(store, '/', 'dx', T);
        store.putDelayed(record);
        store.afterCommit(r, 1);
        expect(r.seen).toEqual([]);
        await store.flush();
        expect(r.seen).toEqual([1]);
        store.removeDelayed(record.id);
        store.afterCommit(r, 2);
        await new Promise<void>((resolve) => setTimeout(resolve, 20));
        expect(r.seen).toEqual([1, 2]);
        await restart();
        expect(store.nextDue()).toBe(0);
      });
    });

    describe('quarantine', () => {
      const poisoned = (vhost: string, queueName: string, reason: string, at: number): QuarantineRecord => ({
        vhost,
        queue: queueName,
        reason,
        at,
        exchange: decodeBytes(Buffer.from('78ff', 'hex'), 0, 2),
        routingKey: 'rk',
        properties: Buffer.from('8000', 'hex'),
        body: Buffer.from(`body of ${reason}`),
      });

      test('quarantined messages round-trip exactly, oldest first, per vhost or all, across a restart', async () => {
        expect(store.quarantineCount()).toBe(0);
        expect(store.loadQuarantine(10)).toEqual([]);
        const a = poisoned('/', 'q1', 'properties: truncated short string', 1_700_000_000_000);
        const b = poisoned('v2', 'q2', 'delivery failed twice', 1_700_000_000_001);
        const c = poisoned('/', '', 'delayed message unreadable', 1_700_000_000_002);
        for (const r of [a, b, c]) store.quarantine(r);
        await beforeAndAfterRestart((s) => {
          expect(s.quarantineCount()).toBe(3);
          expect(s.quarantineCount('/')).toBe(2);
          const all = s.loadQuarantine(10);
          expect(all.map(({ id: _id, ...rest }) => rest)).toEqual([a, b, c]);
          expect(new Set(all.map((r) => r.id)).size).toBe(3);
          expect(s.loadQuarantine(1).map((r) => r.reason)).toEqual([a.reason]);
          expect(s.loadQuarantine(10, 'v2').map((r) => r.queue)).toEqual(['q2']);
        });
      });

      test('deleteVhost drops the vhost’s quarantined messages only', async () => {
        store.quarantine(poisoned('/', 'q', 'one', 1));
        store.quarantine(poisoned('gone', 'q', 'two', 2));
        store.deleteVhost('gone');
        await beforeAndAfterRestart((s) => {
          expect(s.loadQuarantine(10).map((r) => r.reason)).toEqual(['one']);
        });
      });
    });

    describe('durability', () => {
      test('afterCommit listeners are called in order, never synchronously, before flush() resolves', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const r = new Recorder();
        store.enqueue(q, 1, message(store, 'a'));
        store.afterCommit(r, 1);
        store.afterCommit(r, 2);
        store.enqueue(q, 2, message(store, 'b'));
        store.afterCommit(r, 3);
        expect(r.seen).toEqual([]);
        await store.flush();
        expect(r.seen).toEqual([1, 2, 3]);
        store.afterCommit(r, 4); // nothing written since: still called, still later
        expect(r.seen).toEqual([1, 2, 3]);
        await store.flush();
        expect(r.seen).toEqual([1, 2, 3, 4]);
      });

      test('afterCommit listeners run without anyone calling flush()', async () => {
        const q = store.putQueue(queue('/', 'q'));
        const r = new Recorder();
        store.enqueue(q, 1, message(store, 'a'));
        store.afterCommit(r, 7);
        await new Promise<void>((resolve) => setTimeout(resolve, 20));
        expect(r.seen).toEqual([7]);
      });

      test('listeners registered in later turns come after earlier ones', async () => {
        const r = new Recorder();
        const q = store.putQueue(queue('/', 'q'));
        for (let turn = 0; turn < 5; turn++) {
          store.enqueue(q, turn + 1, message(store, `t${turn}`));
          store.afterCommit(r, turn * 2);
          store.afterCommit(r, turn * 2 + 1);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await store.flush();
        expect(r.seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });
    });
  });
}
