import { MessageStats } from '../../observability/stats';
import type { ChannelInfo, ConsumerInfo } from '../test-support/fixture';
import { fakeConnection, NODE_NAME } from '../test-support/fixture';
import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;
const get = (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers);

function consumer(overrides: Partial<ConsumerInfo> = {}): ConsumerInfo {
  return { tag: 'ctag-1', queue: 'q1', vhost: '/', ackRequired: true, exclusive: false, priority: 0, prefetchCount: 10, unacked: 0, ...overrides };
}

function channel(number: number, overrides: Partial<ChannelInfo> = {}): ChannelInfo {
  const stats = new MessageStats();
  stats.publish = 7;
  stats.confirm = 5;
  return {
    number,
    state: 'running',
    prefetchCount: 10,
    globalPrefetchCount: 0,
    confirm: true,
    transactional: false,
    messagesUnacknowledged: 3,
    messagesUnconfirmed: 0,
    messagesUncommitted: 0,
    acksUncommitted: 0,
    stats,
    consumers: [],
    ...overrides,
  };
}

const CONN_A = '127.0.0.1:50000 -> 127.0.0.1:5672';
const CONN_B = '10.0.0.7:41000 -> 127.0.0.1:5672';

/** guest's connection on '/' with channels 1 (one consumer) and 2; mgmt's on 'other' with channel 1. */
function seed(): void {
  fx.f.vhosts.put({ name: 'other', description: '', tags: [] });
  fx.f.connections.push(
    fakeConnection({
      name: CONN_A,
      channelCount: 2,
      channels: () => [channel(1, { consumers: [consumer()] }), channel(2, { confirm: false, prefetchCount: 0 })],
    }),
    fakeConnection({
      name: CONN_B,
      user: 'mgmt',
      vhost: 'other',
      peerHost: '10.0.0.7',
      peerPort: 41000,
      channelCount: 1,
      channels: () => [
        channel(1, { consumers: [consumer({ tag: 'amq.ctag-x', queue: 'jobs', vhost: 'other', ackRequired: false, priority: 5, exclusive: true })] }),
      ],
    }),
  );
}

describe('channels', () => {
  test('GET /api/channels lists every channel with the fields rabbitmqadmin requires', async () => {
    seed();
    const { status, body } = await get('/api/channels');
    expect(status).toBe(200);
    expect(body.map((c: { name: string }) => c.name)).toEqual([`${CONN_A} (1)`, `${CONN_A} (2)`, `${CONN_B} (1)`]);
    expect(body[0]).toMatchObject({
      name: `${CONN_A} (1)`,
      number: 1,
      node: NODE_NAME,
      vhost: '/',
      user: 'guest',
      state: 'running',
      connection_details: { name: CONN_A, peer_host: '127.0.0.1', peer_port: 50000 },
      consumer_count: 1,
      confirm: true,
      transactional: false,
      prefetch_count: 10,
      global_prefetch_count: 0,
      messages_unacknowledged: 3,
      messages_unconfirmed: 0,
      message_stats: expect.objectContaining({ publish: 7, publish_details: { rate: 0 }, confirm: 5 }),
    });
  });

  test('a connection without channel info has no channels', async () => {
    fx.f.connections.push(fakeConnection());
    expect((await get('/api/channels')).body).toEqual([]);
  });

  test('pagination and columns through listing.ts', async () => {
    seed();
    const { body } = await get('/api/channels?page=1&page_size=2&columns=name,number');
    expect(body).toMatchObject({ filtered_count: 3, item_count: 2, page: 1, page_count: 2, page_size: 2, total_count: 3 });
    expect(body.items).toEqual([
      { name: `${CONN_A} (1)`, number: 1 },
      { name: `${CONN_A} (2)`, number: 2 },
    ]);
    expect((await get('/api/channels?page=3&page_size=2')).status).toBe(400);
  });

  test('a management user sees only the channels of their own connections; monitoring sees all', async () => {
    seed();
    const own = await get('/api/channels', as('mgmt'));
    expect(own.body.map((c: { name: string }) => c.name)).toEqual([`${CONN_B} (1)`]);
    expect((await get('/api/channels', as('mon'))).body).toHaveLength(3);
  });

  test('GET /api/vhosts/{vh}/channels filters by vhost; unknown vhost 404', async () => {
    seed();
    const { body } = await get('/api/vhosts/other/channels');
    expect(body.map((c: { name: string }) => c.name)).toEqual([`${CONN_B} (1)`]);
    expect((await get('/api/vhosts/%2F/channels')).body).toHaveLength(2);
    expect((await get('/api/vhosts/nope/channels')).status).toBe(404);
  });

  test('GET /api/channels/{name}: one channel with consumer_details; 404 unknown; 401 for others', async () => {
    seed();
    const { status, body } = await get(`/api/channels/${encodeURIComponent(`${CONN_A} (1)`)}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: `${CONN_A} (1)`, number: 1, consumer_count: 1, publishes: [], deliveries: [] });
    expect(body.consumer_details).toEqual([
      expect.objectContaining({ consumer_tag: 'ctag-1', queue: { name: 'q1', vhost: '/' }, ack_required: true }),
    ]);
    expect((await get(`/api/channels/${encodeURIComponent(`${CONN_A} (9)`)}`)).status).toBe(404);
    const forbidden = await get(`/api/channels/${encodeURIComponent(`${CONN_A} (1)`)}`, as('mgmt'));
    expect(forbidden.status).toBe(401);
  });

  test('GET /api/connections/{name}/channels lists one connection\'s channels', async () => {
    seed();
    const { status, body } = await get(`/api/connections/${encodeURIComponent(CONN_A)}/channels`);
    expect(status).toBe(200);
    expect(body.map((c: { number: number }) => c.number)).toEqual([1, 2]);
    expect((await get(`/api/connections/${encodeURIComponent('1.2.3.4:1 -> 127.0.0.1:5672')}/channels`)).status).toBe(404);
    expect((await get(`/api/connections/${encodeURIComponent(CONN_A)}/channels`, as('mgmt'))).status).toBe(401);
    expect((await get(`/api/connections/${encodeURIComponent(CONN_B)}/channels`, as('mgmt'))).body).toHaveLength(1);
  });
});

describe('consumers', () => {
  test('GET /api/consumers lists every consumer with the fields rabbitmqadmin requires', async () => {
    seed();
    const { status, body } = await get('/api/consumers');
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    expect(body[0]).toEqual({
      consumer_tag: 'ctag-1',
      queue: { name: 'q1', vhost: '/' },
      channel_details: {
        connection_name: CONN_A,
        name: `${CONN_A} (1)`,
        node: NODE_NAME,
        number: 1,
        peer_host: '127.0.0.1',
        peer_port: 50000,
        user: 'guest',
      },
      ack_required: true,
      exclusive: false,
      prefetch_count: 10,
      arguments: {},
      active: true,
      activity_status: 'up',
      consumer_timeout: 0,
    });
    expect(body[1]).toMatchObject({
      consumer_tag: 'amq.ctag-x',
      queue: { name: 'jobs', vhost: 'other' },
      ack_required: false,
      exclusive: true,
      arguments: { 'x-priority': 5 },
    });
  });

  test('GET /api/consumers/{vh}; unknown vhost 404; a management user sees only the consumers of their own connections', async () => {
    seed();
    expect((await get('/api/consumers/other')).body.map((c: { consumer_tag: string }) => c.consumer_tag)).toEqual(['amq.ctag-x']);
    expect((await get('/api/consumers/nope')).status).toBe(404);
    // rabbit_mgmt_wm_consumers filter_user: not by vhost but by the channel's user, for /{vh} as well.
    // mgmt may use '/', yet guest's consumer there is not theirs.
    const tags = (res: { body: Array<{ consumer_tag: string }> }) => res.body.map((c) => c.consumer_tag);
    expect(tags(await get('/api/consumers', as('mgmt')))).toEqual(['amq.ctag-x']);
    expect(tags(await get('/api/consumers/other', as('mgmt')))).toEqual(['amq.ctag-x']);
    expect(tags(await get('/api/consumers/%2F', as('mgmt')))).toEqual([]);
  });

  test('consumers paginate', async () => {
    seed();
    const { body } = await get('/api/consumers?page=2&page_size=1');
    expect(body).toMatchObject({ total_count: 2, item_count: 1, page: 2 });
    expect(body.items[0].consumer_tag).toBe('amq.ctag-x');
  });
});
