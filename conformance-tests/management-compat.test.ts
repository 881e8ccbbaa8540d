/**
 * Management API behaviours tools written for RabbitMQ rely on (issue 12): the Terraform provider's "create a vhost,
 * then a queue in it", the small endpoints the UI and rabbit-hole read, RabbitMQ's validation answers and what a
 * management-tagged (not administrator) user may see. Each test passes against RabbitMQ (AMQP_URL + MANAGEMENT_URL)
 * and against Leveret in-process. Where RabbitMQ 3.10 answers differently from 3.13 (/api/auth's shape), the test
 * accepts the 3.10 answer too and says so.
 */
import { randomBytes } from 'node:crypto';
import { closeAll, connect, eventually } from './support/broker';
import { managementTarget, type ManagementTarget } from './support/management-target';

let t: ManagementTarget;
const cleanups: Array<() => Promise<unknown>> = [];
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const GUEST = basic('guest', 'guest');

async function api(method: string, path: string, body?: unknown, auth: string | null = GUEST): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.httpUrl}${path}`, {
    method,
    headers: {
      ...(auth === null ? {} : { authorization: auth }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const enc = encodeURIComponent;
/** RabbitMQ 3.10 HTML-escapes policy validation texts (&lt;&lt;); 3.13 and Leveret do not. */
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>');

async function vhost(): Promise<string> {
  const name = unique('compat');
  expect((await api('PUT', `/api/vhosts/${enc(name)}`)).status).toBe(201);
  cleanups.push(() => api('DELETE', `/api/vhosts/${enc(name)}`));
  return name;
}

async function user(tags: string, password = 'pw'): Promise<{ name: string; auth: string }> {
  const name = unique('compat-user');
  expect((await api('PUT', `/api/users/${enc(name)}`, { password, tags })).status).toBe(201);
  cleanups.push(() => api('DELETE', `/api/users/${enc(name)}`));
  return { name, auth: basic(name, password) };
}

beforeAll(async () => {
  t = await managementTarget('management tests');
});
afterEach(async () => {
  await closeAll();
  while (cleanups.length > 0) await cleanups.pop()?.();
});
afterAll(async () => {
  await t.close();
});

describe('RabbitMQ: the user who creates a vhost through the API gets full permissions on it (rabbit_vhost:put_vhost)', () => {
  test('create a vhost, then a queue in it (the Terraform provider\'s sequence)', async () => {
    const admin = await user('administrator');
    const name = unique('compat');
    expect((await api('PUT', `/api/vhosts/${enc(name)}`, undefined, admin.auth)).status).toBe(201);
    cleanups.push(() => api('DELETE', `/api/vhosts/${enc(name)}`));
    expect((await api('GET', `/api/vhosts/${enc(name)}/permissions`)).body).toEqual([
      { vhost: name, user: admin.name, configure: '.*', write: '.*', read: '.*' },
    ]);
    expect((await api('PUT', `/api/queues/${enc(name)}/q`, { durable: true }, admin.auth)).status).toBe(201);
  });

  test('updating an existing vhost grants nothing', async () => {
    const name = await vhost();
    expect((await api('DELETE', `/api/permissions/${enc(name)}/guest`)).status).toBe(204);
    expect((await api('PUT', `/api/vhosts/${enc(name)}`, { description: 'd' })).status).toBe(204);
    expect((await api('GET', `/api/vhosts/${enc(name)}/permissions`)).body).toEqual([]);
  });
});

describe('RabbitMQ: endpoints the UI, rabbit-hole and Terraform read', () => {
  test('/api/cluster-name: GET for any management user, PUT for administrators, name required', async () => {
    const before = await api('GET', '/api/cluster-name');
    expect(before.status).toBe(200);
    expect(typeof before.body.name).toBe('string');
    const mgmt = await user('management');
    expect((await api('GET', '/api/cluster-name', undefined, mgmt.auth)).body).toEqual(before.body);
    expect((await api('PUT', '/api/cluster-name', { name: 'x' }, mgmt.auth)).status).toBe(401);
    expect((await api('PUT', '/api/cluster-name', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,name}]' });
    const name = unique('cluster');
    try {
      expect((await api('PUT', '/api/cluster-name', { name })).status).toBe(204);
      expect((await api('GET', '/api/cluster-name')).body).toEqual({ name });
    } finally {
      await api('PUT', '/api/cluster-name', before.body);
    }
  });

  test('/api/feature-flags: administrators; a list of {name, desc, doc_url, state, stability, provided_by}', async () => {
    const flags = await api('GET', '/api/feature-flags');
    expect(flags.status).toBe(200);
    const names = flags.body.map((f: { name: string }) => f.name);
    for (const name of ['quorum_queue', 'stream_queue', 'implicit_default_bindings', 'virtual_host_metadata', 'user_limits']) {
      expect(names).toContain(name);
    }
    for (const flag of flags.body) {
      expect(Object.keys(flag).sort()).toEqual(['desc', 'doc_url', 'name', 'provided_by', 'stability', 'state']);
    }
    const mgmt = await user('management');
    expect((await api('GET', '/api/feature-flags', undefined, mgmt.auth)).body).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
  });

  test('/api/auth needs no login and reports OAuth off', async () => {
    const res = await api('GET', '/api/auth', undefined, null);
    expect(res.status).toBe(200);
    // 3.13: {oauth_enabled: false}; 3.10 still answers its UAA shape {enable_uaa: false, ...}.
    if ('enable_uaa' in res.body) expect(res.body.enable_uaa).toBe(false);
    else expect(res.body).toEqual({ oauth_enabled: false });
  });

  test("/api/extensions lists the web UI's own dispatcher.js", async () => {
    const res = await api('GET', '/api/extensions');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ javascript: 'dispatcher.js' });
  });

  test('/api/users/without-permissions and POST /api/users/bulk-delete', async () => {
    const lonely = await user('');
    const listed = await api('GET', '/api/users/without-permissions');
    expect(listed.status).toBe(200);
    const names = listed.body.map((u: { name: string }) => u.name);
    expect(names).toContain(lonely.name);
    expect(names).not.toContain('guest');
    const a = await user('');
    const b = await user('');
    expect((await api('POST', '/api/users/bulk-delete', { users: [a.name, b.name] })).status).toBe(204);
    expect((await api('GET', `/api/users/${enc(a.name)}`)).status).toBe(404);
    expect((await api('GET', `/api/users/${enc(b.name)}`)).status).toBe(404);
    expect((await api('POST', '/api/users/bulk-delete', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,users}]' });
    // An unknown user stops the deletion there: 400 with reason ["no_such_user", name]; earlier ones are gone.
    const c = await user('');
    const missing = unique('nobody');
    expect(await api('POST', '/api/users/bulk-delete', { users: [c.name, missing] })).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: ['no_such_user', missing] },
    });
    expect((await api('GET', `/api/users/${enc(c.name)}`)).status).toBe(404);
  });

  test('/api/health/checks/certificate-expiration/{within}/{unit}: ok without TLS listeners; bad arguments 400', async () => {
    expect(await api('GET', '/api/health/checks/certificate-expiration/1/months')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await api('GET', '/api/health/checks/certificate-expiration/1/fortnights')).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: 'Time unit not recognised. Supported units: days, weeks, months, years.' },
    });
    expect(await api('GET', '/api/health/checks/certificate-expiration/x/days')).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: 'Invalid expiration value.' },
    });
  });
});

describe('RabbitMQ: validation answers', () => {
  test('policies: unknown keys are listed, bad values named, with rabbit_policy\'s texts', async () => {
    const vh = enc(await vhost());
    const put = async (definition: unknown) => {
      const res = await api('PUT', `/api/policies/${vh}/p`, { pattern: '^x', definition });
      return { status: res.status, error: res.body?.error, reason: unescape(String(res.body?.reason)) };
    };
    expect(await put({ x: 1, y: 'z' })).toEqual({
      status: 400,
      error: 'bad_request',
      reason: 'Validation failed\n\n[{<<"x">>,1},{<<"y">>,<<"z">>}] are not recognised policy settings\n',
    });
    expect(await put({ 'max-length': 1, x: 1 })).toMatchObject({ reason: 'Validation failed\n\n[{<<"x">>,1}] are not recognised policy settings\n' });
    expect(await put({ 'max-length': 'abc' })).toMatchObject({ status: 400, reason: 'Validation failed\n\n<<"abc">> is not a valid maximum length\n' });
    expect(await put({ 'max-length': -1 })).toMatchObject({ reason: 'Validation failed\n\n-1 is not a valid maximum length\n' });
    expect(await put({ 'message-ttl': 'x' })).toMatchObject({ reason: 'Validation failed\n\n<<"x">> is not a valid message TTL\n' });
    expect(await put({ overflow: 'bogus' })).toMatchObject({ reason: 'Validation failed\n\n<<"bogus">> is not a valid overflow value\n' });
    expect(await put({ 'dead-letter-exchange': 5 })).toMatchObject({ reason: 'Validation failed\n\n5 is not a valid dead letter exchange name\n' });
    expect((await put({ 'max-length': 5, 'dead-letter-exchange': 'dlx', 'message-ttl': 1000 })).status).toBe(201);
  });

  test('operator policies take only their own keys', async () => {
    const vh = enc(await vhost());
    const put = (definition: unknown) => api('PUT', `/api/operator-policies/${vh}/op`, { pattern: '^x', definition });
    const dlx = await put({ 'dead-letter-exchange': 'x' });
    expect(dlx.status).toBe(400);
    expect(unescape(dlx.body.reason)).toBe('Validation failed\n\n[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings\n');
    expect(unescape((await put({ 'max-length': 'a' })).body.reason)).toBe('Validation failed\n\n<<"a">> is not a valid maximum length\n');
    expect((await put({ 'max-length': 5 })).status).toBe(201);
    expect((await api('GET', `/api/operator-policies/${vh}`)).body).toEqual([
      { vhost: decodeURIComponent(vh), name: 'op', pattern: '^x', 'apply-to': 'all', definition: { 'max-length': 5 }, priority: 0 },
    ]);
  });

  test('runtime parameters of a component nobody registered are 400', async () => {
    const vh = enc(await vhost());
    expect(await api('PUT', `/api/parameters/no-such-component/${vh}/n`, { value: { a: 1 } })).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: 'Validation failed\n\ncomponent no-such-component not found\n' },
    });
    expect((await api('GET', `/api/parameters/no-such-component/${vh}/n`)).status).toBe(404);
  });

  test('PUT user without tags is 400 tags_not_present, new or existing', async () => {
    const name = unique('compat-user');
    expect(await api('PUT', `/api/users/${enc(name)}`, { password: 'x' })).toEqual({ status: 400, body: { error: 'bad_request', reason: 'tags_not_present' } });
    expect((await api('GET', `/api/users/${enc(name)}`)).status).toBe(404);
    const existing = await user('management');
    expect((await api('PUT', `/api/users/${enc(existing.name)}`, { password: 'y' })).body).toEqual({ error: 'bad_request', reason: 'tags_not_present' });
    expect((await api('PUT', `/api/users/${enc(existing.name)}`, { password: 'y', tags: '' })).status).toBe(204);
  });

  test('PUT exchange with {} declares a direct, non-durable exchange', async () => {
    const vh = enc(await vhost());
    expect((await api('PUT', `/api/exchanges/${vh}/e`, {})).status).toBe(201);
    expect((await api('GET', `/api/exchanges/${vh}/e`)).body).toMatchObject({ type: 'direct', durable: false, auto_delete: false, internal: false });
  });

  test('PUT queue with {} (or no body) declares a queue that is not durable, as queue.declare defaults', async () => {
    const vh = enc(await vhost());
    expect((await api('PUT', `/api/queues/${vh}/q`, {})).status).toBe(201);
    expect((await api('GET', `/api/queues/${vh}/q`)).body).toMatchObject({ durable: false, auto_delete: false, exclusive: false });
  });

  test('publish to a missing exchange is 400 with the channel\'s 404 text', async () => {
    const name = await vhost();
    const body = { routing_key: 'k', payload: 'x', payload_encoding: 'string', properties: {} };
    expect(await api('POST', `/api/exchanges/${enc(name)}/missing/publish`, body)).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: `404 NOT_FOUND - no exchange 'missing' in vhost '${name}'` },
    });
  });
});

describe('RabbitMQ: what a management (not administrator) user sees', () => {
  test('/api/consumers lists only the consumers on their own connections', async () => {
    const name = await vhost();
    const mgmt = await user('management');
    expect((await api('PUT', `/api/permissions/${enc(name)}/${enc(mgmt.name)}`, { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    const url = new URL(t.amqpUrl);
    url.pathname = `/${enc(name)}`;
    const conn = await connect(url.toString());
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const tag = (await ch.consume(q.queue, () => {})).consumerTag;
    let seen: any;
    const listed = async (): Promise<boolean> => (seen = await api('GET', `/api/consumers/${enc(name)}`)).body.length > 0;
    await eventually(listed, 5000, `a consumer listed in ${name}`, 100).catch(() => undefined);
    expect(seen.body.map((c: { consumer_tag: string }) => c.consumer_tag)).toEqual([tag]);
    expect((await api('GET', '/api/consumers', undefined, mgmt.auth)).body.filter((c: any) => c.queue.vhost === name)).toEqual([]);
    expect((await api('GET', `/api/consumers/${enc(name)}`, undefined, mgmt.auth)).body).toEqual([]);
  });

  test('/api/policies is 200, filtered to the vhosts they can access', async () => {
    const mine = await vhost();
    const theirs = await vhost();
    const mgmt = await user('management');
    await api('PUT', `/api/permissions/${enc(mine)}/${enc(mgmt.name)}`, { configure: '.*', write: '.*', read: '.*' });
    for (const vh of [mine, theirs]) expect((await api('PUT', `/api/policies/${enc(vh)}/p`, { pattern: '^x', definition: { 'max-length': 1 } })).status).toBe(201);
    const list = await api('GET', '/api/policies', undefined, mgmt.auth);
    expect(list.status).toBe(200);
    expect(list.body.map((p: { vhost: string }) => p.vhost)).toEqual([mine]);
    expect((await api('GET', `/api/policies/${enc(mine)}`, undefined, mgmt.auth)).body).toHaveLength(1);
    expect(await api('GET', `/api/policies/${enc(theirs)}`, undefined, mgmt.auth)).toEqual({
      status: 401,
      body: { error: 'not_authorised', reason: 'User not authorised to access virtual host' },
    });
    expect((await api('PUT', `/api/policies/${enc(mine)}/q`, { pattern: '^x', definition: { 'max-length': 1 } }, mgmt.auth)).status).toBe(401);
  });

  test('/api/aliveness-test/{vh} needs the caller\'s access to the vhost and their permissions on aliveness-test', async () => {
    const name = await vhost();
    const mgmt = await user('management');
    const mon = await user('monitoring');
    const forbidden = { status: 401, body: { error: 'not_authorised', reason: 'User not authorised to access virtual host' } };
    expect(await api('GET', `/api/aliveness-test/${enc(name)}`, undefined, mgmt.auth)).toEqual(forbidden);
    expect(await api('GET', `/api/aliveness-test/${enc(name)}`, undefined, mon.auth)).toEqual(forbidden);
    await api('PUT', `/api/permissions/${enc(name)}/${enc(mgmt.name)}`, { configure: '^$', write: '^$', read: '^$' });
    expect(await api('GET', `/api/aliveness-test/${enc(name)}`, undefined, mgmt.auth)).toEqual({
      status: 401,
      body: { error: 'not_authorised', reason: `ACCESS_REFUSED - access to queue 'aliveness-test' in vhost '${name}' refused for user '${mgmt.name}'` },
    });
    await api('PUT', `/api/permissions/${enc(name)}/${enc(mgmt.name)}`, { configure: '.*', write: '.*', read: '.*' });
    expect(await api('GET', `/api/aliveness-test/${enc(name)}`, undefined, mgmt.auth)).toEqual({ status: 200, body: { status: 'ok' } });
  });
});
