import type { FastifyInstance } from 'fastify';
import { ChurnStats, MessageStats } from '../../observability/stats';
import type { Message, QueueEntry } from '../../queue/message';
import type { Queue } from '../../queue/queue';
import { buildManagementApp } from '../app';
import type { ChannelInfo } from '../deps';
import { PROMETHEUS_CONTENT_TYPE } from '../prometheus';
import { parseExposition } from '../test-support/exposition';
import { buildFixture, fakeConnection, GUEST, NODE_NAME, type Fixture } from '../test-support/fixture';

let f: Fixture;
let app: FastifyInstance;
let churn: ChurnStats;

beforeEach(() => {
  f = buildFixture();
  churn = new ChurnStats();
  // The fixture's deps plus churn counters, as broker.ts wires them.
  app = buildManagementApp({ ...f.deps, churn });
});
afterEach(async () => {
  await app.close();
  await f.app.close();
});

function message(body: string): Message {
  return { id: 0, persistent: false, exchange: '', routingKey: 'q1', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

function channelInfo(number: number): ChannelInfo {
  const stats = new MessageStats();
  stats.publish = 4;
  stats.confirm = 4;
  stats.return_unroutable = 1;
  return {
    number,
    state: 'running',
    prefetchCount: 0,
    globalPrefetchCount: 50,
    confirm: true,
    transactional: false,
    messagesUnacknowledged: 2,
    messagesUnconfirmed: 0,
    messagesUncommitted: 0,
    acksUncommitted: 0,
    stats,
    consumers: [{ tag: 'c1', queue: 'q1', vhost: '/', ackRequired: true, exclusive: false, priority: 0, prefetchCount: 0, unacked: 2 }],
  };
}

const CONN = '127.0.0.1:50000 -> 127.0.0.1:5672';

/** Queue q1 on '/' with 5 published: 2 delivered unacked by basic.get, 3 ready; a broker-wide publish count; a connection. */
function seed(): { queue: Queue; taken: QueueEntry[] } {
  const vhost = f.vhosts.get('/');
  if (vhost === undefined) throw new Error('no vhost');
  const queue = vhost.declareQueue({ name: 'q1', passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, {});
  for (let i = 0; i < 5; i++) queue.enqueue(message(`m${i}`));
  const taken = [queue.take(false), queue.take(false)] as QueueEntry[];
  const direct = vhost.exchanges.get('amq.direct');
  if (direct !== undefined) {
    direct.stats.publish_in = 9;
    direct.stats.publish_out = 8;
  }
  f.deps.stats.publish = 11;
  f.deps.stats.confirm = 10;
  f.deps.stats.drop_unroutable = 1;
  f.deps.stats.sample(1);
  churn.counts.connection_created = 3;
  churn.counts.connection_closed = 2;
  churn.sample(5);
  f.connections.push(fakeConnection({ name: CONN, channelCount: 1, channels: () => [channelInfo(1)] }));
  return { queue, taken };
}

async function metrics(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, type: res.headers['content-type'], text: res.body };
}

describe('GET /metrics (aggregated)', () => {
  test('needs no login, answers Prometheus text format 0.0.4', async () => {
    const { status, type, text } = await metrics('/metrics');
    expect(status).toBe(200);
    expect(type).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(text.startsWith('# HELP ')).toBe(true);
    // The API itself still needs credentials.
    expect((await app.inject({ method: 'GET', url: '/api/overview' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/metrics' })).statusCode).toBe(401);
  });

  test('every line parses; every sample has a TYPE; counters end in _total', async () => {
    seed();
    const parsed = parseExposition((await metrics('/metrics')).text);
    for (const sample of parsed.samples) {
      if (parsed.types.get(sample.name) === 'counter') expect(sample.name).toMatch(/_total$/);
    }
    for (const name of [
      'rabbitmq_connections',
      'rabbitmq_channels',
      'rabbitmq_consumers',
      'rabbitmq_queues',
      'rabbitmq_queue_messages',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_queue_messages_unacked',
      'rabbitmq_queue_messages_published_total',
      'rabbitmq_queue_messages_delivered_total',
      'rabbitmq_queue_messages_acked_total',
      'rabbitmq_queue_messages_redelivered_total',
      'rabbitmq_channel_messages_published_total',
      'rabbitmq_channel_messages_confirmed_total',
      'rabbitmq_channel_messages_unroutable_returned_total',
      'rabbitmq_channel_messages_unroutable_dropped_total',
      'rabbitmq_process_resident_memory_bytes',
      'rabbitmq_identity_info',
      'rabbitmq_connections_opened_total',
      'rabbitmq_connections_closed_total',
    ]) {
      expect(parsed.types.has(name)).toBe(true);
    }
  });

  test('values are sums over the broker, without labels', async () => {
    seed();
    const parsed = parseExposition((await metrics('/metrics')).text);
    expect(parsed.value('rabbitmq_queues')).toBe(1);
    expect(parsed.value('rabbitmq_connections')).toBe(1);
    expect(parsed.value('rabbitmq_channels')).toBe(1);
    expect(parsed.value('rabbitmq_queue_messages')).toBe(5);
    expect(parsed.value('rabbitmq_queue_messages_ready')).toBe(3);
    expect(parsed.value('rabbitmq_queue_messages_unacked')).toBe(2);
    expect(parsed.value('rabbitmq_queue_messages_published_total')).toBe(5);
    expect(parsed.value('rabbitmq_queue_get_ack_total')).toBe(2);
    // Channel counters come from the broker-wide stats.
    expect(parsed.value('rabbitmq_channel_messages_published_total')).toBe(11);
    expect(parsed.value('rabbitmq_channel_messages_confirmed_total')).toBe(10);
    expect(parsed.value('rabbitmq_channel_messages_unroutable_dropped_total')).toBe(1);
    expect(parsed.value('rabbitmq_channel_messages_unacked')).toBe(2);
    expect(parsed.value('rabbitmq_exchange_messages_published_total')).toBe(9);
    expect(parsed.value('rabbitmq_connections_opened_total')).toBe(3);
    expect(parsed.value('rabbitmq_connections_closed_total')).toBe(2);
    expect(parsed.value('rabbitmq_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_identity_info', { rabbitmq_node: NODE_NAME, rabbitmq_cluster: NODE_NAME, rabbitmq_endpoint: 'aggregated' })).toBe(1);
    for (const sample of parsed.samples) {
      if (!['rabbitmq_identity_info', 'rabbitmq_build_info'].includes(sample.name)) expect(sample.labels).toEqual({});
    }
  });
});

describe('GET /metrics/per-object', () => {
  test('queue, exchange, channel and connection samples carry vhost + object labels', async () => {
    seed();
    const { status, text } = await metrics('/metrics/per-object');
    expect(status).toBe(200);
    const parsed = parseExposition(text);
    const q = { vhost: '/', queue: 'q1' };
    expect(parsed.value('rabbitmq_queue_messages', q)).toBe(5);
    expect(parsed.value('rabbitmq_queue_messages_ready', q)).toBe(3);
    expect(parsed.value('rabbitmq_queue_messages_unacked', q)).toBe(2);
    expect(parsed.value('rabbitmq_queue_messages_published_total', q)).toBe(5);
    expect(parsed.value('rabbitmq_exchange_messages_published_total', { vhost: '/', exchange: 'amq.direct' })).toBe(9);
    expect(parsed.value('rabbitmq_exchange_messages_published_total', { vhost: '/', exchange: '' })).toBe(0);
    const ch = { vhost: '/', channel: `${CONN} (1)` };
    expect(parsed.value('rabbitmq_channel_messages_published_total', ch)).toBe(4);
    expect(parsed.value('rabbitmq_channel_messages_unroutable_returned_total', ch)).toBe(1);
    expect(parsed.value('rabbitmq_channel_prefetch', ch)).toBe(50);
    expect(parsed.value('rabbitmq_channel_consumers', ch)).toBe(1);
    expect(parsed.value('rabbitmq_connection_channels', { vhost: '/', connection: CONN })).toBe(1);
    expect(parsed.value('rabbitmq_queues')).toBe(1);
    expect(parsed.value('rabbitmq_identity_info', { rabbitmq_node: NODE_NAME, rabbitmq_cluster: NODE_NAME, rabbitmq_endpoint: 'per-object' })).toBe(1);
  });

  test('an empty broker still gives a valid exposition', async () => {
    const vhost = f.vhosts.get('/');
    expect(vhost).toBeDefined();
    const parsed = parseExposition((await metrics('/metrics/per-object')).text);
    expect(parsed.value('rabbitmq_queues')).toBe(0);
    expect(parsed.types.has('rabbitmq_channel_consumers')).toBe(false);
  });
});

describe('message_stats and unacknowledged counts in the API', () => {
  test('overview: message_stats from the broker stats, churn_rates from the churn counters, unacked in queue_totals', async () => {
    seed();
    const res = await app.inject({ method: 'GET', url: '/api/overview', headers: GUEST });
    const body = res.json();
    expect(body.message_stats).toMatchObject({ publish: 11, publish_details: { rate: 11 }, confirm: 10, drop_unroutable: 1, deliver_get: 0 });
    expect(body.churn_rates).toEqual({
      connection_created: 3,
      connection_created_details: { rate: 0.6 },
      connection_closed: 2,
      connection_closed_details: { rate: 0.4 },
      channel_created: 0,
      channel_created_details: { rate: 0 },
      channel_closed: 0,
      channel_closed_details: { rate: 0 },
      queue_declared: 0,
      queue_declared_details: { rate: 0 },
      queue_created: 0,
      queue_created_details: { rate: 0 },
      queue_deleted: 0,
      queue_deleted_details: { rate: 0 },
    });
    expect(body.queue_totals).toMatchObject({ messages: 5, messages_ready: 3, messages_unacknowledged: 2 });
  });

  test('overview without churn counters reports zeros with _details', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/overview', headers: GUEST });
    expect(res.json().churn_rates).toMatchObject({ channel_created: 0, channel_created_details: { rate: 0 } });
  });

  test('queue: messages = ready + unacked; settling and requeueing move the counts', async () => {
    const { queue, taken } = seed();
    const show = async () => (await app.inject({ method: 'GET', url: '/api/queues/%2F/q1', headers: GUEST })).json();
    expect(await show()).toMatchObject({
      messages: 5,
      messages_ready: 3,
      messages_unacknowledged: 2,
      message_bytes_ready: 6,
      consumers: 0,
      message_stats: expect.objectContaining({ publish: 5, get: 2, deliver_get: 2 }),
    });
    queue.settle(taken[0] as QueueEntry);
    expect(await show()).toMatchObject({ messages: 4, messages_ready: 3, messages_unacknowledged: 1 });
    queue.requeue([taken[1] as QueueEntry]);
    expect(await show()).toMatchObject({ messages: 4, messages_ready: 4, messages_unacknowledged: 0, message_bytes_ready: 8 });
    const list = (await app.inject({ method: 'GET', url: '/api/queues', headers: GUEST })).json();
    expect(list[0]).toMatchObject({ name: 'q1', messages: 4, messages_unacknowledged: 0 });
  });

  test('exchange: message_stats from its counters', async () => {
    seed();
    const body = (await app.inject({ method: 'GET', url: '/api/exchanges/%2F/amq.direct', headers: GUEST })).json();
    expect(body.message_stats).toMatchObject({ publish_in: 9, publish_in_details: { rate: 0 }, publish_out: 8 });
  });
});
