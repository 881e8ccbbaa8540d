/**
 * The management API's figures and definitions as RabbitMQ 3.10 gives them (issue 12): a queue's message and byte
 * counts (ready, unacknowledged, persistent), consumer_details, the vhost totals, sample histories
 * (`?lengths_age=&lengths_incr=` answers samples, avg and avg_rate), user_provided_name, the node's descriptor and
 * socket counts, transient queues in the definitions export, and the web UI's definitions download and upload
 * (`?auth=`, multipart/form-data). RabbitMQ's figures lag by up to 5 s (its stats interval), so reads poll.
 * Against RabbitMQ: AMQP_URL and MANAGEMENT_URL; else an in-process Leveret.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import { eventually } from './support/broker';
import { managementTarget, type ManagementTarget } from './support/management-target';

const GUEST_B64 = Buffer.from('guest:guest').toString('base64');
let t: ManagementTarget;
let conn: amqp.ChannelModel;
const suffix = randomBytes(4).toString('hex');
const Q = `figures-${suffix}`;
const TRANSIENT = `figures-transient-${suffix}`;
const CONNECTION_NAME = `figures-conn-${suffix}`;

async function get(path: string): Promise<any> {
  const res = await fetch(`${t.httpUrl}${path}`, { headers: { authorization: `Basic ${GUEST_B64}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/**
 * Reads `path` every 500 ms until `ok` holds of the answer or `ms` pass (RabbitMQ's statistics are up to 5 s old),
 * and returns the last answer either way: the test's expectations judge it.
 */
async function until(path: string, ok: (body: any) => boolean, ms = 12_000): Promise<any> {
  let body: any;
  await eventually(async () => ok((body = await get(path))), ms, path, 500).catch(() => undefined);
  return body ?? get(path);
}

beforeAll(async () => {
  t = await managementTarget('management tests');
  conn = await amqp.connect(t.amqpUrl, { clientProperties: { connection_name: CONNECTION_NAME } });
  const ch = await conn.createChannel();
  await ch.assertQueue(Q, { durable: true });
  await ch.assertQueue(TRANSIENT, { durable: false });
  for (let i = 0; i < 3; i++) ch.sendToQueue(Q, Buffer.from('0123456789'), { persistent: true, timestamp: 1_700_000_000 });
  const consumer = await conn.createChannel();
  await consumer.prefetch(5);
  await consumer.consume(Q, () => {}, { consumerTag: `tag-${suffix}` });
  await new Promise((r) => setTimeout(r, 200));
}, 30_000);

afterAll(async () => {
  const ch = await conn.createChannel();
  await ch.deleteQueue(Q).catch(() => undefined);
  await ch.deleteQueue(TRANSIENT).catch(() => undefined);
  await conn.close().catch(() => undefined);
  await t.close();
});

describe('queue figures (rabbit_mgmt_format queue, rabbit_amqqueue info keys)', () => {
  test('3 persistent messages of 10 bytes, 3 delivered to a consumer with prefetch 5: counts, bytes and persistence', async () => {
    const q = await until(`/api/queues/%2F/${Q}`, (b) => b.messages_unacknowledged === 3 && b.messages_persistent === 3);
    expect(q).toMatchObject({
      messages: 3,
      messages_ready: 0,
      messages_unacknowledged: 3,
      message_bytes: 30,
      message_bytes_ready: 0,
      message_bytes_unacknowledged: 30,
      message_bytes_persistent: 30,
      messages_persistent: 3,
      messages_ram: 3,
      messages_unacknowledged_ram: 3,
      consumers: 1,
      single_active_consumer_tag: null,
      exclusive_consumer_tag: null,
      effective_policy_definition: {},
    });
    for (const key of ['memory', 'consumer_utilisation', 'consumer_capacity', 'reductions', 'messages_ready_ram', 'message_bytes_ram']) {
      expect(typeof q[key]).toBe('number');
    }
    expect(q.garbage_collection).toEqual(expect.objectContaining({ minor_gcs: expect.any(Number) }));
  }, 20_000);

  test('consumer_details names the tag, the prefetch, the channel and the queue', async () => {
    const q = await until(`/api/queues/%2F/${Q}`, (b) => (b.consumer_details ?? []).length === 1);
    const [c] = q.consumer_details;
    expect(c).toMatchObject({
      consumer_tag: `tag-${suffix}`,
      prefetch_count: 5,
      ack_required: true,
      exclusive: false,
      active: true,
      activity_status: 'up',
      arguments: {},
      queue: { name: Q, vhost: '/' },
      channel_details: { number: 2, user: 'guest', peer_host: expect.any(String), peer_port: expect.any(Number) },
    });
    expect(c.channel_details.name).toBe(`${c.channel_details.connection_name} (2)`);
  }, 20_000);

  test('head_message_timestamp: the timestamp property of the next message, null when the queue has none ready', async () => {
    const ch = await conn.createChannel();
    const name = `figures-head-${suffix}`;
    await ch.assertQueue(name, { durable: false });
    ch.sendToQueue(name, Buffer.from('x'), { timestamp: 1_700_000_123 });
    const q = await until(`/api/queues/%2F/${name}`, (b) => b.head_message_timestamp === 1_700_000_123);
    expect(q.head_message_timestamp).toBe(1_700_000_123);
    await ch.purgeQueue(name);
    const empty = await until(`/api/queues/%2F/${name}`, (b) => b.messages === 0 && b.head_message_timestamp !== 1_700_000_123);
    expect([null, '']).toContain(empty.head_message_timestamp);
    await ch.deleteQueue(name);
    await ch.close();
  }, 30_000);
});

describe('vhost, connection and node figures', () => {
  test('vhost messages count unacknowledged ones; message_stats, recv_oct and send_oct are there', async () => {
    const v = await until('/api/vhosts/%2F', (b) => b.messages_unacknowledged >= 3 && b.recv_oct > 0);
    expect(v.messages_unacknowledged).toBeGreaterThanOrEqual(3);
    expect(v.messages).toBe(v.messages_ready + v.messages_unacknowledged);
    expect(v.recv_oct).toBeGreaterThan(0);
    expect(v.send_oct).toBeGreaterThan(0);
    expect(v.recv_oct_details).toEqual(expect.objectContaining({ rate: expect.any(Number) }));
    expect(v.message_stats).toEqual(expect.objectContaining({ publish: expect.any(Number), publish_details: expect.any(Object) }));
  }, 20_000);

  test('user_provided_name is the client property connection_name', async () => {
    const list = await until('/api/connections', (b) => b.some((c: any) => c.user_provided_name === CONNECTION_NAME));
    expect(list.filter((c: any) => c.user_provided_name === CONNECTION_NAME)).toHaveLength(1);
  }, 20_000);

  test('node fd_used, sockets_used and proc_used are counts, not zeros', async () => {
    const [node] = await get('/api/nodes');
    expect(node.fd_used).toBeGreaterThan(0);
    expect(node.sockets_used).toBeGreaterThan(0);
    expect(node.proc_used).toBeGreaterThan(0);
    expect(node.fd_total).toBeGreaterThanOrEqual(node.fd_used);
    expect(node.proc_total).toBeGreaterThanOrEqual(node.proc_used);
  });
});

describe('sample histories (rabbit_mgmt_stats)', () => {
  const range = 'lengths_age=60&lengths_incr=5&msg_rates_age=60&msg_rates_incr=5&data_rates_age=60&data_rates_incr=5';

  test('a queue answers samples, avg and avg_rate, newest first at multiples of the increment; a rising length has a rate', async () => {
    const ch = await conn.createChannel();
    const name = `figures-rate-${suffix}`;
    await ch.assertQueue(name, { durable: false });
    // The length must rise between two samples, whichever sample the first publish lands in, so keep publishing
    // until the history shows it (20 at once can all land before the queue's first sample: a flat line, rate 0).
    ch.sendToQueue(name, Buffer.from('m'));
    const trickle = setInterval(() => ch.sendToQueue(name, Buffer.from('m')), 250);
    let q: any;
    try {
      q = await until(`/api/queues/%2F/${name}?${range}`, (b) => b.messages_details?.samples?.length >= 2 && b.messages_details.rate > 0, 20_000);
    } finally {
      clearInterval(trickle);
    }
    const d = q.messages_details;
    expect(d.rate).toBeGreaterThan(0);
    expect(typeof d.avg).toBe('number');
    expect(typeof d.avg_rate).toBe('number');
    expect(d.samples.length).toBeGreaterThanOrEqual(2);
    expect(d.samples.length).toBeLessThanOrEqual(13);
    expect(d.samples[0]).toEqual({ sample: expect.any(Number), timestamp: expect.any(Number) });
    expect(d.samples[0].timestamp % 5000).toBe(0);
    expect(d.samples[0].timestamp - d.samples[1].timestamp).toBe(5000);
    expect(q.message_stats.publish_details.samples).toEqual(expect.any(Array));
    await ch.deleteQueue(name);
    await ch.close();
  }, 30_000);

  test('vhosts and the overview answer samples too', async () => {
    const v = await until(`/api/vhosts/%2F?${range}`, (b) => b.messages_details?.samples?.length >= 1);
    expect(v.messages_details).toEqual(expect.objectContaining({ samples: expect.any(Array), avg: expect.any(Number), avg_rate: expect.any(Number) }));
    expect(v.recv_oct_details.samples).toEqual(expect.any(Array));
    const o = await until(`/api/overview?${range}`, (b) => b.queue_totals?.messages_details?.samples?.length >= 1);
    expect(o.queue_totals.messages_details).toEqual(expect.objectContaining({ samples: expect.any(Array), avg: expect.any(Number) }));
  }, 30_000);
});

describe('definitions (rabbit_definitions, rabbit_mgmt_wm_definitions)', () => {
  test('the export keeps transient queues, leaves operator policies out', async () => {
    const defs = await get('/api/definitions');
    const names = defs.queues.map((q: any) => q.name);
    expect(names).toContain(TRANSIENT);
    expect(defs.queues.find((q: any) => q.name === TRANSIENT)).toMatchObject({ durable: false, auto_delete: false });
    expect(defs.operator_policies).toBeUndefined();
  });

  test('?download=<file>&auth=<base64 user:password> answers an attachment without an Authorization header', async () => {
    const res = await fetch(`${t.httpUrl}/api/definitions?download=defs.json&auth=${encodeURIComponent(GUEST_B64)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?defs\.json"?$/);
    expect(((await res.json()) as { queues: unknown }).queues).toEqual(expect.any(Array));
  });

  test("the web UI's upload: multipart/form-data with a file field and ?auth=", async () => {
    const name = `figures-uploaded-${suffix}`;
    const form = new FormData();
    const doc = { queues: [{ name, vhost: '/', durable: false, auto_delete: false, arguments: {} }] };
    form.append('file', new Blob([JSON.stringify(doc)], { type: 'application/json' }), 'defs.json');
    const res = await fetch(`${t.httpUrl}/api/definitions?auth=${encodeURIComponent(GUEST_B64)}`, { method: 'POST', body: form });
    expect([200, 201, 204]).toContain(res.status);
    const q = await until(`/api/queues/%2F/${name}`, (b) => b.name === name);
    expect(q).toMatchObject({ name, durable: false });
    const ch = await conn.createChannel();
    await ch.deleteQueue(name);
    await ch.close();
  }, 20_000);
});
