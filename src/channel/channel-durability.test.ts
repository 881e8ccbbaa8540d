/**
 * Publisher confirms and tx.commit against the store: a persistent message that a durable queue wrote is confirmed
 * only once the store says the write is durable (Channel is the store's CommitListener); anything the store did not
 * write is confirmed at the end of the turn. tx.commit-ok likewise waits for the commit.
 */
import { MethodId, encodeBasicProperties, type BasicPublishArgs } from '../protocol/generated/amqp';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import type { CommitListener } from '../store/store';
import { VirtualHost } from '../vhost/vhost';
import type { Channel } from './channel';
import { ConfirmTracker } from './confirms';
import { FakeConnection, OWNER, type Sent } from './test-support/fake-connection';

/** A MemoryStore whose commits happen only when the test says so. */
class HeldCommitStore extends MemoryStore {
  readonly held: Array<readonly [CommitListener, number]> = [];

  override afterCommit(listener: CommitListener, token: number): void {
    this.held.push([listener, token]);
  }

  /** The batch holding every write so far is durable: tell the listeners, in registration order. */
  commit(): void {
    for (const [listener, token] of this.held.splice(0)) listener.committed(token);
  }
}

function setup(): { channel: Channel; store: HeldCommitStore; vhost: VirtualHost; sent: Sent[]; connection: FakeConnection } {
  return setupOn(new HeldCommitStore());
}

function setupOn<S extends MemoryStore>(store: S): { channel: Channel; store: S; vhost: VirtualHost; sent: Sent[]; connection: FakeConnection } {
  const vhost = new VirtualHost('/', store);
  const connection = new FakeConnection(vhost);
  const channel = connection.openChannel(1);
  declare(vhost, 'durable-q', true);
  declare(vhost, 'transient-q', false);
  return { channel, store, vhost, sent: connection.sent, connection };
}

function declare(vhost: VirtualHost, name: string, durable: boolean): Queue {
  return vhost.declareQueue({ name, passive: false, durable, exclusive: false, autoDelete: false, arguments: {} }, OWNER);
}

/** The store's id of a durable queue. */
function storeId(store: MemoryStore, name: string): number {
  const record = store.loadDefinitions().queues.find((q) => q.name === name);
  if (record === undefined) throw new Error(`queue ${name} is not stored`);
  return record.id;
}

function args(routingKey: string, exchange = '', mandatory = false): BasicPublishArgs {
  return { ticket: 0, exchange, routingKey, mandatory, immediate: false };
}

const PERSISTENT = encodeBasicProperties({ deliveryMode: 2 });
const TRANSIENT = encodeBasicProperties({ deliveryMode: 1 });

function publish(channel: Channel, routingKey: string, properties: Buffer, exchange = '', mandatory = false): void {
  channel.publish(args(routingKey, exchange, mandatory), properties, Buffer.from('body'));
}

function of(sent: readonly Sent[], id: number): Array<Record<string, unknown>> {
  return sent.filter((s) => s.id === id).map((s) => s.args);
}

function acks(sent: readonly Sent[]): Array<{ tag: unknown; multiple: unknown }> {
  return of(sent, MethodId.BasicAck).map((a) => ({ tag: a.deliveryTag, multiple: a.multiple }));
}

/** Lets microtasks, nextTick callbacks and immediates run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('Channel: publisher confirms wait for the store', () => {
  test('a persistent message stored by a durable queue is not acked before the commit', async () => {
    const { channel, store, vhost, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', PERSISTENT);
    expect(vhost.queueOrDie('durable-q').messageCount).toBe(1);
    channel.flushConfirms();
    await nextTurn();
    channel.flushConfirms();
    expect(acks(sent)).toEqual([]);
    expect(store.held.map(([listener, token]) => [listener, token])).toEqual([[channel, 1]]);

    store.commit();
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
    expect(of(sent, MethodId.BasicNack)).toEqual([]);
  });

  test('after the commit the ack also goes out on its own, on the scheduled tick', async () => {
    const { channel, store, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', PERSISTENT);
    publish(channel, 'durable-q', PERSISTENT);
    store.commit();
    expect(acks(sent)).toEqual([]); // not re-entrantly from inside committed()
    await nextTurn();
    expect(acks(sent)).toEqual([{ tag: 2, multiple: true }]);
  });

  test('with the real MemoryStore the ack follows without help', async () => {
    const { channel, sent } = setupOn(new MemoryStore());
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', PERSISTENT);
    expect(acks(sent)).toEqual([]);
    await nextTurn();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
  });

  test('a transient message to a durable queue is acked without waiting for the store', () => {
    const { channel, store, vhost, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', TRANSIENT);
    expect(vhost.queueOrDie('durable-q').messageCount).toBe(1);
    expect(store.held).toEqual([]);
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
  });

  test('a persistent message routed only to a non-durable queue is acked without waiting', () => {
    const { channel, store, vhost, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'transient-q', PERSISTENT);
    expect(vhost.queueOrDie('transient-q').messageCount).toBe(1);
    expect(store.held).toEqual([]);
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
  });

  test('a persistent message to an exclusive durable queue (never stored) is acked without waiting', () => {
    const { channel, store, vhost, sent } = setup();
    vhost.declareQueue({ name: 'mine', passive: false, durable: true, exclusive: true, autoDelete: false, arguments: {} }, OWNER);
    channel.confirm = new ConfirmTracker();
    publish(channel, 'mine', PERSISTENT);
    expect(store.held).toEqual([]);
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
  });

  test('an unroutable persistent message is acked without waiting (and returned first when mandatory)', () => {
    const { channel, store, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'nowhere', PERSISTENT);
    publish(channel, 'nowhere', PERSISTENT, 'amq.direct', true);
    expect(store.held).toEqual([]);
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 2, multiple: true }]);
    const ids = sent.map((s) => s.id);
    expect(ids.indexOf(MethodId.BasicReturn)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(MethodId.BasicReturn)).toBeLessThan(ids.indexOf(MethodId.BasicAck));
  });

  test('a persistent message to both a durable and a non-durable queue waits for the store', () => {
    const { channel, store, vhost, sent } = setup();
    vhost.bindQueue('durable-q', 'amq.fanout', '', {}, OWNER);
    vhost.bindQueue('transient-q', 'amq.fanout', '', {}, OWNER);
    channel.confirm = new ConfirmTracker();
    publish(channel, '', PERSISTENT, 'amq.fanout');
    channel.flushConfirms();
    expect(acks(sent)).toEqual([]);
    store.commit();
    channel.flushConfirms();
    expect(acks(sent)).toEqual([{ tag: 1, multiple: false }]);
  });

  test('a later unstored publish is acked alone, never with a multiple ack covering the waiting one', () => {
    const { channel, store, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', PERSISTENT); // 1: waits
    publish(channel, 'transient-q', PERSISTENT); // 2: at once
    publish(channel, 'durable-q', TRANSIENT); // 3: at once
    channel.flushConfirms();
    expect(acks(sent)).toEqual([
      { tag: 2, multiple: false },
      { tag: 3, multiple: false },
    ]);
    store.commit();
    channel.flushConfirms();
    expect(acks(sent).slice(2)).toEqual([{ tag: 1, multiple: false }]);
    // Everything is confirmed: the next one starts a fresh run from 4.
    publish(channel, 'transient-q', TRANSIENT);
    channel.flushConfirms();
    expect(acks(sent).slice(3)).toEqual([{ tag: 4, multiple: false }]);
  });

  test('a commit arriving after the channel was released sends nothing', async () => {
    const { channel, store, sent } = setup();
    channel.confirm = new ConfirmTracker();
    publish(channel, 'durable-q', PERSISTENT);
    channel.release();
    store.commit();
    channel.flushConfirms();
    await nextTurn();
    expect(acks(sent)).toEqual([]);
  });

  test('without confirm mode nothing waits on the store', () => {
    const { channel, store, vhost, sent } = setup();
    publish(channel, 'durable-q', PERSISTENT);
    expect(vhost.queueOrDie('durable-q').messageCount).toBe(1);
    expect(store.held).toEqual([]);
    channel.flushConfirms();
    expect(sent).toEqual([]);
  });
});

describe('Channel: tx.commit-ok waits for the store', () => {
  test('commit-ok is sent only once the store committed the transaction', () => {
    const { channel, store, vhost, sent } = setup();
    channel.tx = { publishes: [], acks: [] };
    publish(channel, 'durable-q', PERSISTENT);
    const queue = vhost.queueOrDie('durable-q');
    expect(queue.messageCount).toBe(0); // held until commit
    channel.commit();
    expect(queue.messageCount).toBe(1);
    expect(store.queueStats(storeId(store, 'durable-q')).messages).toBe(1);
    expect(of(sent, MethodId.TxCommitOk)).toEqual([]);
    expect(store.held).toEqual([[channel, 0]]);
    store.commit();
    expect(of(sent, MethodId.TxCommitOk)).toHaveLength(1);
  });

  test('an empty commit still answers, after the store', () => {
    const { channel, store, sent } = setup();
    channel.tx = { publishes: [], acks: [] };
    channel.commit();
    expect(of(sent, MethodId.TxCommitOk)).toEqual([]);
    store.commit();
    expect(of(sent, MethodId.TxCommitOk)).toHaveLength(1);
  });

  test('acks in a transaction remove the stored copy at commit, not before', () => {
    const { channel, store, vhost, sent } = setup();
    publish(channel, 'durable-q', PERSISTENT);
    const queue = vhost.queueOrDie('durable-q');
    const entry = queue.take(false);
    expect(entry).toBeDefined();
    channel.deliverGet(queue, entry!, false);
    const tag = of(sent, MethodId.BasicGetOk)[0]?.deliveryTag as number;
    channel.tx = { publishes: [], acks: [] };
    channel.settle(tag, false, true, false);
    expect(store.queueStats(storeId(store, 'durable-q')).messages).toBe(1);
    channel.commit();
    expect(store.queueStats(storeId(store, 'durable-q')).messages).toBe(0);
    expect(of(sent, MethodId.TxCommitOk)).toEqual([]);
    store.commit();
    expect(of(sent, MethodId.TxCommitOk)).toHaveLength(1);
  });

  test('a commit arriving after the channel was released sends no commit-ok', () => {
    const { channel, store, sent } = setup();
    channel.tx = { publishes: [], acks: [] };
    publish(channel, 'durable-q', PERSISTENT);
    channel.commit();
    channel.release();
    store.commit();
    expect(of(sent, MethodId.TxCommitOk)).toEqual([]);
  });

  test('two commits in a row are answered in order, each after its own store commit', () => {
    const { channel, store, sent } = setup();
    channel.tx = { publishes: [], acks: [] };
    publish(channel, 'durable-q', PERSISTENT);
    channel.commit();
    const firstBatch = store.held.splice(0);
    publish(channel, 'durable-q', PERSISTENT);
    channel.commit();
    expect(of(sent, MethodId.TxCommitOk)).toEqual([]);
    for (const [listener, token] of firstBatch) listener.committed(token);
    expect(of(sent, MethodId.TxCommitOk)).toHaveLength(1);
    store.commit();
    expect(of(sent, MethodId.TxCommitOk)).toHaveLength(2);
  });
});

describe('Channel: replies to durable definition changes wait for the store', () => {
  test('declare-ok for a durable queue goes out after the commit; a transient one at once, in order', () => {
    const { channel, store, vhost, sent } = setup();
    const before = vhost.definitionWrites;
    declare(vhost, 'another-durable', true);
    channel.replyDefinition(MethodId.QueueDeclareOk, { queue: 'another-durable' }, before);
    expect(of(sent, MethodId.QueueDeclareOk)).toEqual([]);

    // A reply with no durable write still queues behind the pending one, so replies keep their order.
    channel.replyDefinition(MethodId.QueueBindOk, {}, vhost.definitionWrites);
    expect(sent).toEqual([]);
    store.commit();
    expect(sent.map((s) => s.id)).toEqual([MethodId.QueueDeclareOk, MethodId.QueueBindOk]);

    const writes = vhost.definitionWrites;
    declare(vhost, 'yet-another-transient', false);
    channel.replyDefinition(MethodId.QueueDeclareOk, { queue: 'yet-another-transient' }, writes);
    expect(sent.map((s) => s.id)).toEqual([MethodId.QueueDeclareOk, MethodId.QueueBindOk, MethodId.QueueDeclareOk]);
    expect(store.held).toEqual([]);
  });

  test('a definition reply with no durable write still waits behind a tx.commit-ok the store holds', () => {
    const { channel, store, vhost, sent } = setup();
    channel.tx = { publishes: [], acks: [] };
    channel.commit();
    const writes = vhost.definitionWrites;
    declare(vhost, 'transient-after-commit', false);
    channel.replyDefinition(MethodId.QueueDeclareOk, { queue: 'transient-after-commit' }, writes);
    expect(sent).toEqual([]);
    store.commit();
    expect(sent.map((s) => s.id)).toEqual([MethodId.TxCommitOk, MethodId.QueueDeclareOk]);
  });

  test("the client's channel.close: close-ok only after the replies the store holds, in order", () => {
    const { channel, store, vhost, sent, connection } = setup();
    const before = vhost.definitionWrites;
    declare(vhost, 'durable-before-close', true);
    channel.replyDefinition(MethodId.QueueDeclareOk, { queue: 'durable-before-close' }, before);
    channel.tx = { publishes: [], acks: [] };
    channel.commit();
    channel.closeByClient();
    expect(connection.closeOks).toEqual([]);
    store.commit();
    expect(sent.map((s) => s.id)).toEqual([MethodId.QueueDeclareOk, MethodId.TxCommitOk]);
    expect(connection.closeOks).toEqual([1]);
  });

  test('a closed channel sends no late definition reply', () => {
    const { channel, store, vhost, sent } = setup();
    const before = vhost.definitionWrites;
    vhost.declareExchange({ name: 'dx', type: 'fanout', passive: false, durable: true, autoDelete: false, internal: false, arguments: {} });
    channel.replyDefinition(MethodId.ExchangeDeclareOk, {}, before);
    channel.release();
    store.commit();
    expect(sent).toEqual([]);
  });
});
