import type { FastifyInstance } from 'fastify';
import { ChurnStats, MessageStats } from '../../observability/stats';
import type { Message, QueueEntry } from '../../queue/message';
import type { Queue } from '../../queue/queue';
import { buildManagementApp } from '../app';
import type { ChannelInfo } from '../test-support/fixture';
import { clusterPermanentId, DETAILED_FAMILIES, PROMETHEUS_CONTENT_TYPE } from '../prometheus';
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

function identity(endpoint: string): Record<string, string> {
  return { rabbitmq_node: NODE_NAME, rabbitmq_cluster: NODE_NAME, rabbitmq_cluster_permanent_id: clusterPermanentId(NODE_NAME), rabbitmq_endpoint: endpoint };
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
    expect(parsed.value('rabbitmq_identity_info', identity('aggregated'))).toBe(1);
    for (const sample of parsed.samples) {
      if (sample.name === 'rabbitmq_identity_info' || sample.name === 'rabbitmq_build_info') continue;
      // The global counters carry protocol (and dead-letter labels), as RabbitMQ's do; object families none.
      if (sample.name.startsWith('rabbitmq_global_')) expect(sample.labels.protocol ?? sample.labels.queue_type).toBeDefined();
      else expect(sample.labels).toEqual({});
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
    expect(parsed.value('rabbitmq_identity_info', identity('per-object'))).toBe(1);
  });

  test('an empty broker still gives a valid exposition', async () => {
    const vhost = f.vhosts.get('/');
    expect(vhost).toBeDefined();
    const parsed = parseExposition((await metrics('/metrics/per-object')).text);
    expect(parsed.value('rabbitmq_queues')).toBe(0);
    expect(parsed.types.has('rabbitmq_channel_consumers')).toBe(false);
  });
});

/**
 * Every metric the panels of RabbitMQ's published Grafana dashboard "RabbitMQ-Overview" query (rabbitmq-server
 * deps/rabbitmq_prometheus/docker/grafana/dashboards; its 3.10 form with the rabbitmq_global_* counters and the
 * earlier form with channel counters), names only. Each panel joins on rabbitmq_identity_info by instance.
 */
const OVERVIEW_DASHBOARD_METRICS = [
  // singlestats, the nodes table, joins
  'rabbitmq_identity_info',
  'rabbitmq_build_info',
  'rabbitmq_erlang_uptime_seconds',
  'rabbitmq_queue_messages_ready',
  'rabbitmq_queue_messages_unacked',
  'rabbitmq_connections',
  'rabbitmq_channels',
  'rabbitmq_queues',
  'rabbitmq_channel_consumers',
  'rabbitmq_global_publishers',
  'rabbitmq_global_consumers',
  // NODES: memory, disk, file descriptors, sockets
  'rabbitmq_resident_memory_limit_bytes',
  'rabbitmq_process_resident_memory_bytes',
  'rabbitmq_disk_space_available_bytes',
  'rabbitmq_process_max_fds',
  'rabbitmq_process_open_fds',
  'rabbitmq_process_max_tcp_sockets',
  'rabbitmq_process_open_tcp_sockets',
  // INCOMING and OUTGOING MESSAGES
  'rabbitmq_global_messages_received_total',
  'rabbitmq_global_messages_received_confirm_total',
  'rabbitmq_global_messages_routed_total',
  'rabbitmq_global_messages_confirmed_total',
  'rabbitmq_global_messages_unroutable_dropped_total',
  'rabbitmq_global_messages_unroutable_returned_total',
  'rabbitmq_global_messages_delivered_total',
  'rabbitmq_global_messages_delivered_consume_auto_ack_total',
  'rabbitmq_global_messages_delivered_consume_manual_ack_total',
  'rabbitmq_global_messages_delivered_get_auto_ack_total',
  'rabbitmq_global_messages_delivered_get_manual_ack_total',
  'rabbitmq_global_messages_get_empty_total',
  'rabbitmq_global_messages_redelivered_total',
  'rabbitmq_global_messages_acknowledged_total',
  // QUEUES, CHANNELS, CONNECTIONS
  'rabbitmq_queues_declared_total',
  'rabbitmq_queues_created_total',
  'rabbitmq_queues_deleted_total',
  'rabbitmq_channels_opened_total',
  'rabbitmq_channels_closed_total',
  'rabbitmq_connections_opened_total',
  'rabbitmq_connections_closed_total',
  // the earlier form of the same panels
  'rabbitmq_channel_messages_published_total',
  'rabbitmq_channel_messages_confirmed_total',
  'rabbitmq_channel_messages_unconfirmed',
  'rabbitmq_channel_messages_unroutable_dropped_total',
  'rabbitmq_channel_messages_unroutable_returned_total',
  'rabbitmq_channel_messages_delivered_total',
  'rabbitmq_channel_messages_delivered_ack_total',
  'rabbitmq_channel_messages_redelivered_total',
  'rabbitmq_channel_messages_acked_total',
  'rabbitmq_channel_get_total',
  'rabbitmq_channel_get_ack_total',
  'rabbitmq_channel_get_empty_total',
  'rabbitmq_queue_messages_published_total',
];

/** Traffic as the counters record it: publishes (confirmed, routed, dropped, returned), deliveries of every kind, churn. */
function traffic(): void {
  const s = f.deps.stats;
  Object.assign(s, { publish: 11, received_confirm: 10, routed: 9, confirm: 10, drop_unroutable: 1, return_unroutable: 1 });
  Object.assign(s, { deliver: 4, deliver_no_ack: 3, get: 2, get_no_ack: 1, get_empty: 1, redeliver: 1, ack: 5 });
  Object.assign(churn.counts, { channel_created: 4, channel_closed: 3, queue_declared: 2, queue_created: 1, queue_deleted: 1 });
  churn.deadLettered.expired = 2;
}

describe('RabbitMQ-Overview dashboard', () => {
  test.each([['/metrics'], ['/metrics/per-object']])('%s: every metric its panels query is exported with a sample', async (url) => {
    seed();
    traffic();
    const parsed = parseExposition((await metrics(url)).text);
    const missing = OVERVIEW_DASHBOARD_METRICS.filter((name) => !parsed.samples.some((s) => s.name === name));
    expect(missing).toEqual([]);
  });

  test('the global counters read the broker-wide stats, labelled protocol="amqp091"', async () => {
    seed();
    traffic();
    const parsed = parseExposition((await metrics('/metrics')).text);
    const amqp = { protocol: 'amqp091' };
    const expected: Record<string, number> = {
      received: 11,
      received_confirm: 10,
      routed: 9,
      confirmed: 10,
      unroutable_dropped: 1,
      unroutable_returned: 1,
      delivered: 10,
      delivered_consume_manual_ack: 4,
      delivered_consume_auto_ack: 3,
      delivered_get_manual_ack: 2,
      delivered_get_auto_ack: 1,
      get_empty: 1,
      redelivered: 1,
      acknowledged: 5,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect([name, parsed.value(`rabbitmq_global_messages_${name}_total`, amqp)]).toEqual([name, value]);
      expect(parsed.types.get(`rabbitmq_global_messages_${name}_total`)).toBe('counter');
    }
    // The seeded channel has published: one publisher; its consumer: one consumer.
    expect(parsed.value('rabbitmq_global_publishers', amqp)).toBe(1);
    expect(parsed.value('rabbitmq_global_consumers', amqp)).toBe(1);
    const dl = { queue_type: 'rabbit_classic_queue', dead_letter_strategy: 'at_most_once' };
    expect(parsed.value('rabbitmq_global_messages_dead_lettered_expired_total', dl)).toBe(2);
    expect(parsed.value('rabbitmq_global_messages_dead_lettered_maxlen_total', dl)).toBe(0);
    expect(parsed.value('rabbitmq_channels_opened_total')).toBe(4);
    expect(parsed.value('rabbitmq_queues_deleted_total')).toBe(1);
  });

  test('process figures: open fds from /proc/self/fd, limits, memory, uptime; alarms 0', async () => {
    const parsed = parseExposition((await metrics('/metrics')).text);
    expect(parsed.value('rabbitmq_process_open_fds')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_process_max_fds')).toBeGreaterThan(parsed.value('rabbitmq_process_open_fds') as number);
    expect(parsed.value('rabbitmq_process_max_tcp_sockets')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_resident_memory_limit_bytes')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_disk_space_available_bytes')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_erlang_uptime_seconds')).toBeGreaterThan(0);
    expect(parsed.value('rabbitmq_alarms_memory_used_watermark')).toBe(0);
  });

  test('identity_info carries the labels the dashboards join on; the permanent id is stable', async () => {
    const parsed = parseExposition((await metrics('/metrics')).text);
    expect(parsed.value('rabbitmq_identity_info', identity('aggregated'))).toBe(1);
    expect(clusterPermanentId(NODE_NAME)).toBe(clusterPermanentId(NODE_NAME));
    expect(clusterPermanentId(NODE_NAME)).toMatch(/^rabbitmq-cluster-id-[A-Za-z0-9_-]{22}$/);
    const build = parsed.samples.find((s) => s.name === 'rabbitmq_build_info');
    expect(Object.keys(build?.labels ?? {})).toEqual(expect.arrayContaining(['rabbitmq_version', 'erlang_version', 'prometheus_plugin_version']));
  });
});

describe('GET /metrics/detailed', () => {
  test('without family: identity and build info only', async () => {
    seed();
    const { status, type, text } = await metrics('/metrics/detailed');
    expect(status).toBe(200);
    expect(type).toBe(PROMETHEUS_CONTENT_TYPE);
    expect([...parseExposition(text).types.keys()]).toEqual(['rabbitmq_identity_info', 'rabbitmq_build_info']);
  });

  test('family= picks groups by RabbitMQ name, rabbitmq_detailed_* per object; unknown families ignored', async () => {
    seed();
    traffic();
    const url = '/metrics/detailed?family=queue_coarse_metrics&family=connection_churn_metrics&family=channel_exchange_metrics&family=nope';
    const parsed = parseExposition((await metrics(url)).text);
    expect(parsed.value('rabbitmq_identity_info', identity('detailed'))).toBe(1);
    expect(parsed.value('rabbitmq_detailed_queue_messages_ready', { vhost: '/', queue: 'q1' })).toBe(3);
    expect(parsed.value('rabbitmq_detailed_queue_messages_unacked', { vhost: '/', queue: 'q1' })).toBe(2);
    expect(parsed.value('rabbitmq_detailed_connections_opened_total')).toBe(3);
    expect(parsed.value('rabbitmq_detailed_queues_declared_total')).toBe(2);
    expect(parsed.value('rabbitmq_detailed_channel_messages_published_total', { vhost: '/', channel: `${CONN} (1)` })).toBe(4);
    expect(parsed.types.has('rabbitmq_detailed_queue_consumers')).toBe(false);
    expect(parsed.types.has('rabbitmq_queues')).toBe(false);
  });

  test('vhost= keeps those vhosts; cluster-wide groups are rabbitmq_cluster_*', async () => {
    seed();
    f.vhosts.put({ name: 'other', description: '', tags: [] });
    const all = DETAILED_FAMILIES.map((name) => `family=${name}`).join('&');
    const parsed = parseExposition((await metrics(`/metrics/detailed?${all}&vhost=%2F`)).text);
    expect(parsed.value('rabbitmq_cluster_vhost_status', { vhost: '/' })).toBe(1);
    expect(parsed.samples.filter((s) => s.name === 'rabbitmq_cluster_vhost_status')).toHaveLength(1);
    expect(parsed.value('rabbitmq_cluster_exchange_name', { vhost: '/', exchange: 'amq.direct', type: 'direct' })).toBe(1);
    expect(parsed.value('rabbitmq_cluster_exchange_bindings', { vhost: '/', exchange: 'amq.direct', type: 'direct' })).toBe(0);
    expect(parsed.value('rabbitmq_detailed_queue_consumers', { vhost: '/', queue: 'q1' })).toBe(0);
    expect(parsed.value('rabbitmq_detailed_connection_channels', { vhost: '/', connection: CONN })).toBe(1);
    const none = parseExposition((await metrics(`/metrics/detailed?family=queue_coarse_metrics&vhost=nowhere`)).text);
    expect(none.types.has('rabbitmq_detailed_queue_messages')).toBe(false);
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

describe("Leveret's queue health families", () => {
  test('per object: oldest ready age, utilisation, no time to empty while not draining; none aggregated', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      seed();
      jest.setSystemTime(1_700_000_003_500);
      const parsed = parseExposition((await metrics('/metrics/per-object')).text);
      const q = { vhost: '/', queue: 'q1' };
      expect(parsed.value('leveret_queue_oldest_ready_age_seconds', q)).toBe(3.5);
      expect(parsed.value('leveret_queue_consumer_utilisation', q)).toBe(0);
      expect(parsed.types.get('leveret_queue_oldest_ready_age_seconds')).toBe('gauge');
      expect(parsed.help.get('leveret_queue_oldest_ready_age_seconds')).toMatch(/oldest ready message/);
      // No consumers: not draining, so no sample (and no family lines without one).
      expect(parsed.samples.some((s) => s.name === 'leveret_queue_time_to_empty_seconds')).toBe(false);
      const aggregated = parseExposition((await metrics('/metrics')).text);
      expect([...aggregated.types.keys()].some((name) => name.startsWith('leveret_'))).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  test('detailed: family=leveret_queue_health gives leveret_detailed_queue_*', async () => {
    seed();
    expect(DETAILED_FAMILIES).toContain('leveret_queue_health');
    const parsed = parseExposition((await metrics('/metrics/detailed?family=leveret_queue_health')).text);
    expect(parsed.value('leveret_detailed_queue_consumer_utilisation', { vhost: '/', queue: 'q1' })).toBe(0);
    expect(parsed.value('leveret_detailed_queue_oldest_ready_age_seconds', { vhost: '/', queue: 'q1' })).toBeGreaterThanOrEqual(0);
    expect(parsed.types.has('rabbitmq_detailed_queue_messages')).toBe(false);
  });
});
