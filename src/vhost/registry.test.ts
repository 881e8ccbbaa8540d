/**
 * VhostRegistry on a MemoryStore: create, update, list and delete; listeners hear of a deletion (by name) before the
 * vhost is destroyed; a deleted vhost's queues are destroyed with their consumers told, and its records leave the
 * store; load() brings each vhost back with its own durable definitions only.
 */
import type { QueueConsumer } from '../queue/consumer';
import type { Message } from '../queue/message';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import type { VhostRecord } from '../store/store';
import { VhostRegistry } from './registry';
import type { ExchangeDeclare, QueueDeclare, VirtualHost } from './vhost';

const OWNER = { conn: 'A' };

function vhostRecord(name: string, description = '', tags: string[] = []): VhostRecord {
  return { name, description, tags };
}

function exchangeReq(name: string, overrides: Partial<ExchangeDeclare> = {}): ExchangeDeclare {
  return { name, type: 'direct', passive: false, durable: true, autoDelete: false, internal: false, arguments: {}, ...overrides };
}

function queueReq(name: string, overrides: Partial<QueueDeclare> = {}): QueueDeclare {
  return { name, passive: false, durable: true, exclusive: false, autoDelete: false, arguments: {}, ...overrides };
}

function persistentMessage(body: string): Message {
  // The queue keeps it in the store when durable: persistence is this field, not the property bytes.
  return { id: 0, persistent: true, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

/** A consumer that records what the queue told it. */
class FakeConsumer implements QueueConsumer {
  readonly priority = 0;
  readonly noAck = true;
  readonly exclusive = false;
  readonly cancelledByBroker = jest.fn<void, [Queue]>();
  readonly deliver = jest.fn();
  constructor(readonly tag: string) {}
  canAccept(): boolean {
    return false; // keeps messages in the queue, so the test sees them dropped by the deletion
  }
}

/** Durable and transient definitions on `vhost`, plus one persistent message. */
function populate(vhost: VirtualHost, prefix: string): void {
  vhost.declareExchange(exchangeReq(`${prefix}.x`));
  vhost.declareExchange(exchangeReq(`${prefix}.tx`, { durable: false }));
  const q = vhost.declareQueue(queueReq(`${prefix}.q`), OWNER);
  vhost.declareQueue(queueReq(`${prefix}.tq`, { durable: false }), OWNER);
  vhost.bindQueue(`${prefix}.q`, `${prefix}.x`, 'k', {}, OWNER);
  vhost.bindExchange(`${prefix}.x`, 'amq.direct', 'e2e', {});
  q.enqueue(persistentMessage(`${prefix} body`));
}

function setup(): { store: MemoryStore; registry: VhostRegistry } {
  const store = new MemoryStore();
  return { store, registry: new VhostRegistry(store) };
}

describe('VhostRegistry: create, update, list', () => {
  test('put creates a vhost (true) with built-in exchanges and writes its record to the store', () => {
    const { store, registry } = setup();
    expect(registry.put(vhostRecord('/', 'Default'))).toBe(true);
    const vhost = registry.get('/');
    expect(vhost?.name).toBe('/');
    expect(vhost?.store).toBe(store);
    expect(vhost?.exchanges.has('amq.direct')).toBe(true);
    expect(registry.record('/')).toEqual(vhostRecord('/', 'Default'));
    expect(store.loadAccess().vhosts).toEqual([vhostRecord('/', 'Default')]);
  });

  test('put on an existing vhost updates its record (false) and keeps the live VirtualHost and its contents', () => {
    const { store, registry } = setup();
    registry.put(vhostRecord('v', 'first'));
    const vhost = registry.get('v');
    vhost?.declareQueue(queueReq('kept', { durable: false }), OWNER);
    const updated: VhostRecord = { name: 'v', description: 'second', tags: ['prod'], defaultQueueType: 'classic' };
    expect(registry.put(updated)).toBe(false);
    expect(registry.get('v')).toBe(vhost);
    expect(registry.get('v')?.queues.has('kept')).toBe(true);
    expect(registry.record('v')).toEqual(updated);
    expect(registry.list().map((e) => e.record)).toEqual([updated]);
    expect(store.loadAccess().vhosts).toEqual([updated]);
  });

  test('list gives every vhost with its record and live object; unknown names give undefined', () => {
    const { registry } = setup();
    registry.put(vhostRecord('a'));
    registry.put(vhostRecord('b'));
    const listed = registry.list();
    expect(listed.map((e) => e.record.name).sort()).toEqual(['a', 'b']);
    for (const entry of listed) expect(entry.vhost).toBe(registry.get(entry.record.name));
    expect(registry.get('c')).toBeUndefined();
    expect(registry.record('c')).toBeUndefined();
  });
});

describe('VhostRegistry: delete', () => {
  test('an unknown vhost: false, no listener called, the store untouched', () => {
    const { store, registry } = setup();
    registry.put(vhostRecord('a'));
    const listener = jest.fn();
    registry.onDeleted(listener);
    expect(registry.delete('nope')).toBe(false);
    expect(listener).not.toHaveBeenCalled();
    expect(store.loadAccess().vhosts).toEqual([vhostRecord('a')]);
  });

  test('every listener is called once with the name, before the vhost is destroyed', () => {
    const { registry } = setup();
    registry.put(vhostRecord('doomed'));
    const vhost = registry.get('doomed') as VirtualHost;
    const queue = vhost.declareQueue(queueReq('q', { durable: false }), OWNER);
    const consumer = new FakeConsumer('c1');
    queue.addConsumer(consumer);

    const seen: Array<{ listener: number; name: string; queueDeleted: boolean; cancelled: number; queues: number }> = [];
    const listen = (listener: number) => (name: string) =>
      seen.push({ listener, name, queueDeleted: queue.deleted, cancelled: consumer.cancelledByBroker.mock.calls.length, queues: vhost.queues.size });
    registry.onDeleted(listen(1));
    registry.onDeleted(listen(2));

    expect(registry.delete('doomed')).toBe(true);
    expect(seen).toEqual([
      { listener: 1, name: 'doomed', queueDeleted: false, cancelled: 0, queues: 1 },
      { listener: 2, name: 'doomed', queueDeleted: false, cancelled: 0, queues: 1 },
    ]);
    expect(queue.deleted).toBe(true);
    expect(registry.delete('doomed')).toBe(false);
    expect(seen).toHaveLength(2);
  });

  test('the deleted vhost is gone from get, record and list; other vhosts are untouched', () => {
    const { registry } = setup();
    registry.put(vhostRecord('doomed'));
    registry.put(vhostRecord('kept'));
    const kept = registry.get('kept');
    registry.delete('doomed');
    expect(registry.get('doomed')).toBeUndefined();
    expect(registry.record('doomed')).toBeUndefined();
    expect(registry.list().map((e) => e.record.name)).toEqual(['kept']);
    expect(registry.get('kept')).toBe(kept);
  });

  test('every queue of the vhost is destroyed and each of its consumers told, with its queue', () => {
    const { registry } = setup();
    registry.put(vhostRecord('doomed'));
    registry.put(vhostRecord('kept'));
    const vhost = registry.get('doomed') as VirtualHost;
    const durable = vhost.declareQueue(queueReq('durable'), OWNER);
    const transient = vhost.declareQueue(queueReq('transient', { durable: false }), OWNER);
    const exclusive = vhost.declareQueue(queueReq('exclusive', { exclusive: true }), OWNER);
    const consumers = [new FakeConsumer('a'), new FakeConsumer('b'), new FakeConsumer('c'), new FakeConsumer('d')];
    durable.addConsumer(consumers[0] as FakeConsumer);
    durable.addConsumer(consumers[1] as FakeConsumer);
    transient.addConsumer(consumers[2] as FakeConsumer);
    exclusive.addConsumer(consumers[3] as FakeConsumer);
    transient.enqueue({ ...persistentMessage('t'), persistent: false });

    const other = registry.get('kept') as VirtualHost;
    const survivor = other.declareQueue(queueReq('durable'), OWNER);
    const bystander = new FakeConsumer('e');
    survivor.addConsumer(bystander);

    registry.delete('doomed');
    expect(consumers.map((c) => c.cancelledByBroker.mock.calls)).toEqual([[[durable]], [[durable]], [[transient]], [[exclusive]]]);
    expect([durable.deleted, transient.deleted, exclusive.deleted]).toEqual([true, true, true]);
    expect(transient.messageCount).toBe(0);
    expect(vhost.queues.size).toBe(0);
    expect(vhost.exchanges.size).toBe(0);
    expect(bystander.cancelledByBroker).not.toHaveBeenCalled();
    expect(survivor.deleted).toBe(false);
    expect(other.queues.get('durable')).toBe(survivor);
  });

  test("the vhost's records leave the store: vhost, exchanges, queues, bindings, messages and permissions", () => {
    const { store, registry } = setup();
    registry.put(vhostRecord('doomed'));
    registry.put(vhostRecord('kept'));
    populate(registry.get('doomed') as VirtualHost, 'd');
    populate(registry.get('kept') as VirtualHost, 'k');
    store.putPermission({ user: 'u', vhost: 'doomed', configure: '.*', write: '.*', read: '.*' });
    store.putPermission({ user: 'u', vhost: 'kept', configure: '.*', write: '.*', read: '.*' });
    expect(store.messageCount()).toBe(2);
    const doomedQueueId = store.loadDefinitions().queues.find((q) => q.vhost === 'doomed')?.id as number;
    expect(store.queueStats(doomedQueueId).messages).toBe(1);

    registry.delete('doomed');
    const access = store.loadAccess();
    expect(access.vhosts.map((v) => v.name)).toEqual(['kept']);
    expect(access.permissions.map((p) => p.vhost)).toEqual(['kept']);
    const definitions = store.loadDefinitions();
    const vhostsIn = (records: ReadonlyArray<{ vhost: string }>): string[] => [...new Set(records.map((r) => r.vhost))];
    expect(vhostsIn(definitions.exchanges)).toEqual(['kept']);
    expect(vhostsIn(definitions.queues)).toEqual(['kept']);
    expect(vhostsIn(definitions.bindings)).toEqual(['kept']);
    expect(definitions.exchanges.map((x) => x.name)).toEqual(['k.x']);
    expect(definitions.queues.map((q) => q.name)).toEqual(['k.q']);
    expect(definitions.bindings).toHaveLength(2);
    expect(store.queueStats(doomedQueueId).messages).toBe(0);
    expect(store.messageCount()).toBe(1);
  });

  test('a vhost re-created after deletion starts empty', () => {
    const { registry } = setup();
    registry.put(vhostRecord('v'));
    populate(registry.get('v') as VirtualHost, 'p');
    const before = registry.get('v');
    registry.delete('v');
    expect(registry.put(vhostRecord('v'))).toBe(true);
    const after = registry.get('v') as VirtualHost;
    expect(after).not.toBe(before);
    expect(after.queues.size).toBe(0);
    expect(after.exchanges.has('p.x')).toBe(false);
    expect(after.bindings.all()).toEqual([]);
  });
});

describe('VhostRegistry: load', () => {
  test('each stored vhost comes back with its own durable definitions and message counts only', () => {
    const store = new MemoryStore();
    const first = new VhostRegistry(store);
    first.put(vhostRecord('a', 'A'));
    first.put(vhostRecord('b', 'B', ['t']));
    first.put(vhostRecord('empty'));
    populate(first.get('a') as VirtualHost, 'a');
    populate(first.get('b') as VirtualHost, 'b');
    (first.get('b') as VirtualHost).queueOrDie('b.q').enqueue(persistentMessage('second'));

    const second = new VhostRegistry(store);
    const stored = store.loadAccess();
    second.load(stored.vhosts, store.loadDefinitions());

    expect(second.list().map((e) => e.record).sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      vhostRecord('a', 'A'),
      vhostRecord('b', 'B', ['t']),
      vhostRecord('empty'),
    ]);
    const summary = (name: string): object => {
      const vhost = second.get(name) as VirtualHost;
      return {
        name: vhost.name,
        exchanges: [...vhost.exchanges.keys()].filter((x) => x !== '' && !x.startsWith('amq.')).sort(),
        queues: [...vhost.queues.values()].map((q) => [q.name, q.messageCount]),
        bindings: vhost.bindings
          .all()
          .map((b) => `${b.source.name} -> ${b.destinationKind}:${b.destination.name} [${b.routingKey}]`)
          .sort(),
      };
    };
    expect(summary('a')).toEqual({
      name: 'a',
      exchanges: ['a.x'],
      queues: [['a.q', 1]],
      bindings: ['a.x -> queue:a.q [k]', 'amq.direct -> exchange:a.x [e2e]'],
    });
    expect(summary('b')).toEqual({
      name: 'b',
      exchanges: ['b.x'],
      queues: [['b.q', 2]],
      bindings: ['amq.direct -> exchange:b.x [e2e]', 'b.x -> queue:b.q [k]'],
    });
    expect(summary('empty')).toEqual({ name: 'empty', exchanges: [], queues: [], bindings: [] });
    // The recovered vhosts are live: deleting one still reaches the store.
    expect(second.delete('a')).toBe(true);
    expect(store.loadDefinitions().queues.map((q) => q.name)).toEqual(['b.q']);
  });

  test('definitions of a vhost with no stored record are not loaded anywhere', () => {
    const store = new MemoryStore();
    const first = new VhostRegistry(store);
    first.put(vhostRecord('a'));
    populate(first.get('a') as VirtualHost, 'a');
    const second = new VhostRegistry(store);
    second.load([vhostRecord('other')], store.loadDefinitions());
    expect(second.get('a')).toBeUndefined();
    expect((second.get('other') as VirtualHost).queues.size).toBe(0);
  });
});
