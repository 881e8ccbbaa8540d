import type { Exchange } from '../exchange/exchange';
/**
 * VirtualHost.recover: a vhost built on a store that an earlier vhost wrote to comes back with exactly the durable
 * definitions (exchanges of every type, queues, queue and exchange-to-exchange bindings, arguments intact), routes
 * through the recovered bindings, and its queues count the messages the store kept. Transient and exclusive things
 * do not come back. Runs on MemoryStore (the same instance) and on SqliteStore (closed and reopened).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FieldTable } from '../protocol/field-table';
import type { Message } from '../queue/message';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import { SqliteStore } from '../store/sqlite';
import type { Store } from '../store/store';
import { VirtualHost, type ExchangeDeclare, type QueueDeclare } from './vhost';
import { routeNames } from './test-support/routing';

interface Fixture {
  store: Store;
  restart(): Promise<Store>;
  cleanup(): Promise<void>;
}

const STORES: ReadonlyArray<readonly [string, () => Fixture]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      return { store, restart: () => Promise.resolve(store), cleanup: () => Promise.resolve() };
    },
  ],
  [
    'SqliteStore',
    () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-recovery-'));
      const fixture: Fixture = {
        store: SqliteStore.open({ dataDir }),
        restart: async () => {
          await fixture.store.close();
          fixture.store = SqliteStore.open({ dataDir });
          return fixture.store;
        },
        cleanup: async () => {
          await fixture.store.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
      return fixture;
    },
  ],
];

const CONN = { conn: 'A' };

const X_ARGS: Record<string, FieldTable> = {
  'd.direct': { 'alternate-exchange': 'd.fanout', custom: 'yes' },
  'd.fanout': { n: 7, flag: true },
  'd.topic': { nested: { inner: 'v', list: [1, 'two'] } },
  'd.headers': { 'x-note': 'h', ratio: 1.5 },
};

const Q_ARGS: Record<string, FieldTable> = {
  'dq.direct': { 'x-message-ttl': 60000, 'x-max-length': 1000 },
  'dq.fanout': { 'x-queue-mode': 'lazy', 'x-dead-letter-exchange': 'd.direct', 'x-dead-letter-routing-key': 'dead' },
  'dq.topic': {},
  'dq.headers': { 'x-max-priority': 5, custom: { deep: [true, 'x'] } },
  'dq.ae': {},
  'dq.e2e': { 'x-expires': 3_600_000 },
};

function exchangeReq(name: string, type: string, overrides: Partial<ExchangeDeclare> = {}): ExchangeDeclare {
  return { name, type, passive: false, durable: true, autoDelete: false, internal: false, arguments: X_ARGS[name] ?? {}, ...overrides };
}

function queueReq(name: string, overrides: Partial<QueueDeclare> = {}): QueueDeclare {
  return { name, passive: false, durable: true, exclusive: false, autoDelete: false, arguments: Q_ARGS[name] ?? {}, ...overrides };
}

function message(body: string, persistent: boolean): Message {
  return { id: 0, persistent, exchange: 'x', routingKey: 'rk', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}


/** Every declaration kind the recovery has to tell apart, on `store`. */
function populate(store: Store): VirtualHost {
  const vhost = new VirtualHost('/', store);
  vhost.declareExchange(exchangeReq('d.direct', 'direct'));
  vhost.declareExchange(exchangeReq('d.fanout', 'fanout'));
  vhost.declareExchange(exchangeReq('d.topic', 'topic', { autoDelete: true }));
  vhost.declareExchange(exchangeReq('d.headers', 'headers', { internal: true }));
  vhost.declareExchange(exchangeReq('t.direct', 'direct', { durable: false }));

  for (const name of Object.keys(Q_ARGS)) vhost.declareQueue(queueReq(name), CONN);
  vhost.declareQueue(queueReq('dq.autodelete', { autoDelete: true }), CONN);
  vhost.declareQueue(queueReq('tq', { durable: false }), CONN);
  vhost.declareQueue(queueReq('xq', { exclusive: true }), CONN);

  vhost.bindQueue('dq.direct', 'd.direct', 'k1', {}, CONN);
  vhost.bindQueue('dq.direct', 'd.direct', 'k2', {}, CONN);
  vhost.bindQueue('dq.ae', 'd.fanout', '', {}, CONN);
  vhost.bindQueue('dq.fanout', 'd.fanout', 'ignored', {}, CONN);
  vhost.bindQueue('dq.topic', 'd.topic', 'a.*.c', {}, CONN);
  vhost.bindQueue('dq.topic', 'amq.topic', 'built.in.#', {}, CONN);
  vhost.bindQueue('dq.headers', 'd.headers', '', { 'x-match': 'all', format: 'pdf', type: 'report' }, CONN);
  vhost.bindQueue('dq.autodelete', 'd.headers', '', { 'x-match': 'any', format: 'zip' }, CONN);
  // Exchange to exchange: d.topic -> d.headers (internal) and amq.direct -> d.topic.
  vhost.bindExchange('d.headers', 'd.topic', 'h.#', {});
  vhost.bindExchange('d.topic', 'amq.direct', 'h.direct', {});
  vhost.bindQueue('dq.e2e', 'd.topic', 'h.#', {}, CONN);
  // Not durable at one end: never stored.
  vhost.bindQueue('tq', 'd.direct', 'k1', {}, CONN);
  vhost.bindQueue('dq.direct', 't.direct', 'k1', {}, CONN);
  vhost.bindQueue('xq', 'd.direct', 'k1', {}, CONN);
  vhost.bindExchange('t.direct', 'd.direct', 'k1', {});
  return vhost;
}

/** Everything about an exchange that must survive, comparable with toEqual. */
function exchangeShape(x: Exchange): object {
  return { name: x.name, type: x.type.name, durable: x.durable, autoDelete: x.autoDelete, internal: x.internal, arguments: x.arguments };
}

function queueShape(q: Queue): object {
  return { name: q.name, durable: q.durable, autoDelete: q.autoDelete, exclusive: q.exclusiveOwner !== null, arguments: q.arguments, persistent: q.isPersistent };
}

/** Bindings as sorted strings: source -> kind:destination [routing key] arguments. */
function bindingShapes(vhost: VirtualHost): string[] {
  return vhost.bindings
    .all()
    .map((b) => `${b.source.name} -> ${b.destinationKind}:${b.destination.name} [${b.routingKey}] ${JSON.stringify(b.arguments)}`)
    .sort();
}

describe.each(STORES)('VirtualHost.recover on %s', (_name, make) => {
  let fx: Fixture;
  beforeEach(() => {
    fx = make();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function restarted(): Promise<VirtualHost> {
    const store = await fx.restart();
    const vhost = new VirtualHost('/', store);
    vhost.recover(store.loadDefinitions());
    return vhost;
  }

  test('exactly the durable exchanges come back, with type, flags and arguments', async () => {
    const before = populate(fx.store);
    const durable = [...before.exchanges.values()].filter((x) => x.durable).map(exchangeShape);
    const after = await restarted();
    expect([...after.exchanges.values()].map(exchangeShape).sort(byName)).toEqual(durable.sort(byName));
    expect(after.exchanges.has('t.direct')).toBe(false);
    expect(after.exchanges.get('d.direct')?.arguments).toEqual(X_ARGS['d.direct']);
    expect(after.exchanges.get('d.topic')?.arguments).toEqual(X_ARGS['d.topic']);
    expect(after.exchanges.get('d.headers')?.arguments).toEqual(X_ARGS['d.headers']);
    expect(after.exchanges.get('d.fanout')?.arguments).toEqual(X_ARGS['d.fanout']);
  });

  test('exactly the durable, non-exclusive queues come back, with flags and arguments', async () => {
    const before = populate(fx.store);
    const durable = [...before.queues.values()].filter((q) => q.durable && q.exclusiveOwner === null).map(queueShape);
    const after = await restarted();
    expect([...after.queues.values()].map(queueShape).sort(byName)).toEqual(durable.sort(byName));
    expect(after.queues.has('tq')).toBe(false);
    expect(after.queues.has('xq')).toBe(false);
    for (const [name, args] of Object.entries(Q_ARGS)) expect(after.queueOrDie(name).arguments).toEqual(args);
  });

  test('exactly the bindings between durable ends come back', async () => {
    const before = populate(fx.store);
    const expected = bindingShapes(before).filter((b) => !/\b(tq|xq|t\.direct)\b/.test(b));
    expect(expected).toHaveLength(11);
    // The store never saw the others: a stale binding would come back once a durable namesake is declared.
    expect(fx.store.loadDefinitions().bindings.filter((b) => b.vhost === '/')).toHaveLength(11);
    const after = await restarted();
    expect(bindingShapes(after)).toEqual(expected);
    expect(after.exchangeOrDie('d.direct').sourceBindings).toBe(2);
    expect(after.exchangeOrDie('d.topic').sourceBindings).toBe(3);
  });

  test('routing through recovered bindings: direct, fanout, topic, headers, e2e, alternate exchange', async () => {
    populate(fx.store);
    const vhost = await restarted();
    expect(routeNames(vhost, 'd.direct', 'k1')).toEqual(['dq.direct']);
    expect(routeNames(vhost, 'd.direct', 'k2')).toEqual(['dq.direct']);
    // No k3 binding: the alternate exchange (d.fanout) takes it.
    expect(routeNames(vhost, 'd.direct', 'k3')).toEqual(['dq.ae', 'dq.fanout']);
    expect(routeNames(vhost, 'd.fanout', 'anything')).toEqual(['dq.ae', 'dq.fanout']);
    expect(routeNames(vhost, 'd.topic', 'a.b.c')).toEqual(['dq.topic']);
    expect(routeNames(vhost, 'd.topic', 'a.b.d')).toEqual([]);
    expect(routeNames(vhost, 'amq.topic', 'built.in.x.y')).toEqual(['dq.topic']);
    expect(routeNames(vhost, 'd.headers', '', { format: 'pdf', type: 'report' })).toEqual(['dq.headers']);
    expect(routeNames(vhost, 'd.headers', '', { format: 'pdf' })).toEqual([]);
    expect(routeNames(vhost, 'd.headers', '', { format: 'zip' })).toEqual(['dq.autodelete']);
    // amq.direct -> d.topic -> (d.headers -> dq.headers, and dq.e2e)
    expect(routeNames(vhost, 'amq.direct', 'h.direct')).toEqual(['dq.e2e']);
    expect(routeNames(vhost, 'amq.direct', 'h.other')).toEqual([]);
    expect(routeNames(vhost, 'd.topic', 'h.x', { format: 'pdf', type: 'report' })).toEqual(['dq.e2e', 'dq.headers']);
  });

  test('the default exchange reaches recovered queues by name, not the ones that did not survive', async () => {
    populate(fx.store);
    const vhost = await restarted();
    expect(routeNames(vhost, '', 'dq.topic')).toEqual(['dq.topic']);
    expect(routeNames(vhost, '', 'tq')).toEqual([]);
    expect(routeNames(vhost, '', 'xq')).toEqual([]);
  });

  test('queue message counts come back from the store; transient messages and settled ones do not', async () => {
    const before = populate(fx.store);
    const direct = before.queueOrDie('dq.direct');
    const topic = before.queueOrDie('dq.topic');
    for (let i = 0; i < 5; i++) direct.enqueue(message(`p${i}`, true));
    direct.enqueue(message('t', false));
    topic.enqueue(message('p', true));
    topic.enqueue(message('acked', true));
    topic.take(true);
    const unacked = direct.take(false);
    expect(unacked?.message.body.toString()).toBe('p0');
    direct.requeue([unacked!]); // what a clean stop does to every unacked delivery before the store closes
    // Transient queues forget everything.
    before.queueOrDie('tq').enqueue(message('gone', true));

    const after = await restarted();
    expect(after.queueOrDie('dq.direct').messageCount).toBe(5);
    expect(after.queueOrDie('dq.topic').messageCount).toBe(1);
    expect(after.queueOrDie('dq.fanout').messageCount).toBe(0);
    const first = after.queueOrDie('dq.direct').take(true);
    expect([first?.message.body.toString(), first?.redelivered]).toEqual(['p0', true]);
    expect(after.queueOrDie('dq.topic').take(true)?.message.body.toString()).toBe('acked');
  });

  test('recovered definitions are live: redeclare is equivalent, unbind and delete reach the store', async () => {
    populate(fx.store);
    const vhost = await restarted();
    const store = fx.store;
    for (const name of Object.keys(Q_ARGS)) expect(() => vhost.declareQueue(queueReq(name), CONN)).not.toThrow();
    expect(() => vhost.declareExchange(exchangeReq('d.direct', 'direct'))).not.toThrow();

    vhost.unbindQueue('dq.direct', 'd.direct', 'k2', {}, CONN);
    vhost.unbindQueue('dq.headers', 'd.headers', '', { 'x-match': 'all', format: 'pdf', type: 'report' }, CONN);
    vhost.deleteQueue('dq.fanout', false, false, CONN);
    vhost.deleteExchange('d.fanout', false);
    const defs = store.loadDefinitions();
    expect(defs.queues.map((q) => q.name)).not.toContain('dq.fanout');
    expect(defs.exchanges.map((x) => x.name)).not.toContain('d.fanout');
    const keys = defs.bindings.map((b) => `${b.source}>${b.destination}:${b.routingKey}`);
    expect(keys).not.toContain('d.direct>dq.direct:k2');
    expect(keys).not.toContain('d.headers>dq.headers:');
    expect(keys).toContain('d.direct>dq.direct:k1');

    // And a second restart sees those changes.
    const again = await restarted();
    expect(again.queues.has('dq.fanout')).toBe(false);
    expect(again.exchanges.has('d.fanout')).toBe(false);
    expect(routeNames(again, 'd.direct', 'k2')).toEqual([]);
    expect(routeNames(again, 'd.headers', '', { format: 'pdf', type: 'report' })).toEqual([]);
  });

  test('messages published after recovery are stored under the recovered queue id', async () => {
    const before = populate(fx.store);
    before.queueOrDie('dq.direct').enqueue(message('old', true));
    const vhost = await restarted();
    vhost.queueOrDie('dq.direct').enqueue(message('new', true));
    const again = await restarted();
    const q = again.queueOrDie('dq.direct');
    expect(q.messageCount).toBe(2);
    expect([q.take(true), q.take(true)].map((e) => e?.message.body.toString())).toEqual(['old', 'new']);
  });

  test('a durable queue deleted and declared again comes back with only its new messages and bindings', async () => {
    const before = populate(fx.store);
    before.queueOrDie('dq.direct').enqueue(message('first life', true));
    before.deleteQueue('dq.direct', false, false, CONN);
    const reborn = before.declareQueue(queueReq('dq.direct', { arguments: { 'x-max-length': 3 } }), CONN);
    reborn.enqueue(message('second life', true));
    before.bindQueue('dq.direct', 'd.direct', 'k9', {}, CONN);
    const vhost = await restarted();
    const q = vhost.queueOrDie('dq.direct');
    expect(q.arguments).toEqual({ 'x-max-length': 3 });
    expect(q.messageCount).toBe(1);
    expect(q.take(true)?.message.body.toString()).toBe('second life');
    expect(routeNames(vhost, 'd.direct', 'k1')).toEqual(['dq.ae', 'dq.fanout']); // unrouted: the alternate exchange
    expect(routeNames(vhost, 'd.direct', 'k9')).toEqual(['dq.direct']);
  });

  test('another vhost\'s definitions are ignored', async () => {
    const other = new VirtualHost('other', fx.store);
    other.declareExchange(exchangeReq('o.x', 'fanout'));
    other.declareQueue(queueReq('o.q'), CONN);
    other.bindQueue('o.q', 'o.x', '', {}, CONN);
    populate(fx.store);
    const vhost = await restarted();
    expect(vhost.exchanges.has('o.x')).toBe(false);
    expect(vhost.queues.has('o.q')).toBe(false);
    const store = fx.store;
    const otherAgain = new VirtualHost('other', store);
    otherAgain.recover(store.loadDefinitions());
    expect(routeNames(otherAgain, 'o.x', '')).toEqual(['o.q']);
    expect(otherAgain.queues.has('dq.direct')).toBe(false);
  });

  test('recovering twice adds nothing', async () => {
    populate(fx.store);
    const vhost = await restarted();
    const bindings = bindingShapes(vhost);
    vhost.recover(fx.store.loadDefinitions());
    expect(bindingShapes(vhost)).toEqual(bindings);
    expect(vhost.exchangeOrDie('d.topic').sourceBindings).toBe(3);
    expect(routeNames(vhost, 'd.direct', 'k1')).toEqual(['dq.direct']);
  });
});

function byName(a: object, b: object): number {
  const x = (a as { name: string }).name;
  const y = (b as { name: string }).name;
  return x < y ? -1 : x > y ? 1 : 0;
}
