/**
 * Access control over AMQP, the RabbitMQ way: users, vhosts, permissions, topic permissions and limits are set up
 * through the management HTTP API (RabbitMQ's paths), then exercised with amqplib. Against RabbitMQ this needs its
 * management plugin (run-against-rabbitmq.sh sets MANAGEMENT_URL); against Leveret in-process, the broker's own API.
 */
import { randomBytes } from 'node:crypto';
import { Reply } from './support/codes';
import { channel, closeAll, connect, expectChannelClose, expectConnectionClose, whenClosed } from './support/broker';
import { RawClient, type CloseArgs } from './support/raw';
import { managementTarget, type ManagementTarget } from './support/management-target';

let t: ManagementTarget;
const users: string[] = [];
const vhosts: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${t.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status}`);
  return res.status;
}

async function user(configure: string, write: string, read: string, vhost = '/'): Promise<string> {
  const name = `conf-user-${randomBytes(4).toString('hex')}`;
  users.push(name);
  await api('PUT', `/api/users/${name}`, { password: 'pw', tags: '' });
  await api('PUT', `/api/permissions/${encodeURIComponent(vhost)}/${name}`, { configure, write, read });
  return name;
}

async function vhost(): Promise<string> {
  const name = `conf-vh-${randomBytes(4).toString('hex')}`;
  vhosts.push(name);
  await api('PUT', `/api/vhosts/${name}`, {});
  return name;
}

function urlFor(name: string, vh = '/'): string {
  const u = new URL(t.amqpUrl);
  u.username = name;
  u.password = 'pw';
  u.pathname = `/${encodeURIComponent(vh)}`;
  return u.toString();
}

const uniq = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** connection.open as `name` (password pw) on `vh`, expecting connection.close: amqplib hides its text. */
async function refusedOpen(name: string, vh: string): Promise<CloseArgs | 'socket-closed'> {
  const raw = await RawClient.open(t.amqpUrl);
  try {
    const result = await raw.handshake({ user: name, password: 'pw', vhost: vh });
    if (!(result instanceof Error)) throw new Error('connection.open succeeded; expected a refusal');
    return result.close;
  } finally {
    raw.destroy();
  }
}

beforeAll(async () => {
  t = await managementTarget('access tests');
});

afterEach(async () => {
  await closeAll();
});

afterAll(async () => {
  for (const name of users.splice(0)) await api('DELETE', `/api/users/${name}`).catch(() => undefined);
  for (const name of vhosts.splice(0)) await api('DELETE', `/api/vhosts/${name}`).catch(() => undefined);
  await t.close();
});

describe('access control over AMQP', () => {
  test('connection.open to a vhost the user has no permissions on is refused with 530 NOT_ALLOWED (RabbitMQ: vhost access)', async () => {
    const vh = await vhost();
    const name = await user('.*', '.*', '.*');
    expect(await refusedOpen(name, vh)).toEqual({
      replyCode: Reply.NOT_ALLOWED,
      replyText: `NOT_ALLOWED - access to vhost '${vh}' refused for user '${name}'`,
      classId: 10,
      methodId: 40,
    });
  });

  test('declaring a queue outside the configure permission closes the channel with 403 (RabbitMQ: configure permission)', async () => {
    const name = await user('^mine-', '^mine-', '^mine-');
    const ch = await channel(await connect(urlFor(name)));
    const mine = uniq('mine-q');
    await ch.assertQueue(mine, { autoDelete: true });
    const other = uniq('other-q');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(other),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to queue '${other}' in vhost '/' refused for user '${name}'`,
    );
  });

  test('publishing to an exchange outside the write permission closes the channel with 403 (RabbitMQ: write permission)', async () => {
    const name = await user('.*', '^mine-', '.*');
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch,
      () => ch.publish('amq.direct', 'k', Buffer.from('x')),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user '${name}'`,
    );
  });

  test('the default exchange is checked as amq.default (RabbitMQ: write permission on amq.default)', async () => {
    const name = await user('.*', '^mine-', '.*');
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch,
      () => ch.sendToQueue('mine-anything', Buffer.from('x')),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user '${name}'`,
    );
  });

  test('consuming and getting need read on the queue (RabbitMQ: read permission)', async () => {
    const q = uniq('guarded');
    const admin = await channel(await connect(t.amqpUrl));
    await admin.assertQueue(q, { autoDelete: false });
    const name = await user('.*', '.*', '^mine-');
    const text = `ACCESS_REFUSED - access to queue '${q}' in vhost '/' refused for user '${name}'`;
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(ch, () => ch.consume(q, () => undefined), Reply.ACCESS_REFUSED, text);
    const ch2 = await channel(await connect(urlFor(name)));
    await expectChannelClose(ch2, () => ch2.get(q), Reply.ACCESS_REFUSED, text);
    await admin.deleteQueue(q);
  });

  test('binding needs write on the queue and read on the exchange (RabbitMQ: queue.bind permissions)', async () => {
    const name = await user('.*', '^mine-', '^mine-');
    const ch = await channel(await connect(urlFor(name)));
    const q = uniq('mine-q');
    await ch.assertQueue(q, { autoDelete: true });
    await expectChannelClose(
      ch,
      () => ch.bindQueue(q, 'amq.topic', 'a.#'),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.topic' in vhost '/' refused for user '${name}'`,
    );
  });

  test('a topic permission limits the routing keys a user may publish to a topic exchange (RabbitMQ: topic authorisation)', async () => {
    const name = await user('.*', '.*', '.*');
    await api('PUT', `/api/topic-permissions/%2F/${name}`, { exchange: 'amq.topic', write: '^allowed\\.', read: '.*' });
    const ch = await channel(await connect(urlFor(name)));
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, 'amq.topic', '#');
    ch.publish('amq.topic', 'allowed.one', Buffer.from('ok'));
    await expectChannelClose(
      ch,
      () => ch.publish('amq.topic', 'denied.one', Buffer.from('no')),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to topic 'denied.one' in exchange 'amq.topic' in vhost '/' refused for user '${name}'`,
    );
  });

  test('a vhost connection limit refuses the next connection with 530 (RabbitMQ: vhost max-connections)', async () => {
    const vh = await vhost();
    const name = await user('.*', '.*', '.*', vh);
    await api('PUT', `/api/vhost-limits/${vh}/max-connections`, { value: 1 });
    await connect(urlFor(name, vh));
    expect(await refusedOpen(name, vh)).toEqual({
      replyCode: Reply.NOT_ALLOWED,
      replyText: `NOT_ALLOWED - access to vhost '${vh}' refused for user '${name}': connection limit (1) is reached`,
      classId: 10,
      methodId: 40,
    });
  });

  test('a vhost queue limit refuses the next queue with 406 (RabbitMQ: vhost max-queues)', async () => {
    const vh = await vhost();
    const name = await user('.*', '.*', '.*', vh);
    await api('PUT', `/api/vhost-limits/${vh}/max-queues`, { value: 1 });
    const ch = await channel(await connect(urlFor(name, vh)));
    await ch.assertQueue('first');
    await expectChannelClose(
      ch,
      () => ch.assertQueue('second'),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost '${vh}' (1) is reached`,
    );
  });

  test('a user channel limit refuses the next channel.open with 530, closing the connection (RabbitMQ: user max-channels)', async () => {
    const name = await user('.*', '.*', '.*');
    await api('PUT', `/api/user-limits/${name}/max-channels`, { value: 1 });
    const conn = await connect(urlFor(name));
    await channel(conn);
    await expectConnectionClose(
      conn,
      () => conn.createChannel(),
      Reply.NOT_ALLOWED,
      `NOT_ALLOWED - number of channels opened for user '${name}' has reached the maximum allowed user limit of (1)`,
    );
  });

  test('a new queue with a dead-letter exchange needs write on that exchange and read on the queue (RabbitMQ: queue.declare DLX check)', async () => {
    const name = await user('.*', '^mine-', '^mine-');
    const q = uniq('mine-dlx');
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { autoDelete: true, arguments: { 'x-dead-letter-exchange': 'amq.fanout' } }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.fanout' in vhost '/' refused for user '${name}'`,
    );
    // Nothing was created: the queue does not exist.
    const check = await channel(await connect(t.amqpUrl));
    await expectChannelClose(check, () => check.checkQueue(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
    // The default exchange as dead-letter exchange is checked as amq.default.
    const ch2 = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch2,
      () => ch2.assertQueue(uniq('mine-dlx'), { autoDelete: true, arguments: { 'x-dead-letter-exchange': '' } }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user '${name}'`,
    );
    const ch3 = await channel(await connect(urlFor(name)));
    await ch3.assertQueue(uniq('mine-dlx'), { autoDelete: true, arguments: { 'x-dead-letter-exchange': 'mine-x' } });
  });

  test('...and read on the queue itself, checked before the write on the dead-letter exchange', async () => {
    const name = await user('.*', '.*', '^nothing$');
    const q = uniq('dlx-unreadable');
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { autoDelete: true, arguments: { 'x-dead-letter-exchange': 'amq.fanout' } }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to queue '${q}' in vhost '/' refused for user '${name}'`,
    );
  });

  test('a new exchange with an alternate exchange needs write on it (RabbitMQ: exchange.declare alternate-exchange check)', async () => {
    const name = await user('.*', '^mine-', '.*');
    const x = uniq('mine-ae');
    const ch = await channel(await connect(urlFor(name)));
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, 'fanout', { autoDelete: true, alternateExchange: 'amq.direct' }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user '${name}'`,
    );
    const check = await channel(await connect(t.amqpUrl));
    await expectChannelClose(check, () => check.checkExchange(x), Reply.NOT_FOUND, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
    const ch2 = await channel(await connect(urlFor(name)));
    await ch2.assertExchange(uniq('mine-ae'), 'fanout', { autoDelete: true, alternateExchange: 'mine-other' });
  });

  test('deleting a user closes its connections with 320 CONNECTION_FORCED (RabbitMQ: user deletion)', async () => {
    const name = await user('.*', '.*', '.*');
    const conn = await connect(urlFor(name));
    await channel(conn);
    await api('DELETE', `/api/users/${name}`);
    const err = (await whenClosed(conn, 10000)) as (Error & { code?: number }) | undefined;
    expect(err?.code).toBe(Reply.CONNECTION_FORCED);
    expect(err?.message).toContain(`CONNECTION_FORCED - user '${name}' is deleted`);
  });

  test('narrowing a permission reaches channels already open (RabbitMQ: once the channel has idled; Leveret: at once)', async () => {
    const name = await user('.*', '.*', '.*');
    const ch = await channel(await connect(urlFor(name)));
    ch.publish('amq.direct', 'k', Buffer.from('granted'));
    await ch.assertQueue('', { exclusive: true }); // a round trip: the publish was handled
    await api('PUT', `/api/permissions/%2F/${name}`, { configure: '.*', write: '^mine-', read: '.*' });
    // RabbitMQ's channel forgets its permission cache when it hibernates, after about a second without work.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await expectChannelClose(
      ch,
      () => ch.publish('amq.direct', 'k', Buffer.from('refused now')),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user '${name}'`,
    );
  });

  test('deleting a vhost closes its connections with 320 CONNECTION_FORCED (RabbitMQ: vhost deletion)', async () => {
    const vh = await vhost();
    const name = await user('.*', '.*', '.*', vh);
    const conn = await connect(urlFor(name, vh));
    await api('DELETE', `/api/vhosts/${vh}`);
    const err = (await whenClosed(conn, 10000)) as (Error & { code?: number }) | undefined;
    expect(err?.code).toBe(Reply.CONNECTION_FORCED);
    // RabbitMQ 3.10 says "is deleted" or "is down" depending on which of its processes notices first.
    expect(err?.message).toMatch(new RegExp(`CONNECTION_FORCED - vhost '${vh}' is (deleted|down)`));
  });
});
