import { useFixture } from './test-support/use-fixture';
import { as } from './test-support/http';

/*
 * Issue 11: regular expressions from users (the use_regex name filter, policy patterns, permission and topic
 * permission patterns) must not run super-linear on the event loop. V8 needs about 5 s for ^(a+)+$ on this name.
 */
const EVIL = '^(a+)+$';
const EVIL_NAME = `${'a'.repeat(30)}!`;
/** Well under V8's seconds, well over RE2's milliseconds even on a loaded machine. */
const BOUND_MS = 1000;

const fx = useFixture();

const call = fx.call;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function declare(name: string): void {
  fx.f.vhosts.get('/')?.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, {});
}

const names = (body: Array<{ name: string }>): string[] => body.map((q) => q.name).sort();

describe('GET /api/queues?use_regex=true', () => {
  test('an exponential pattern answers in linear time', async () => {
    declare(EVIL_NAME);
    declare('aaaa');
    const { value, ms } = await timed(() => call('GET', `/api/queues?use_regex=true&name=${encodeURIComponent(EVIL)}`));
    expect(value.status).toBe(200);
    expect(names(value.body)).toEqual(['aaaa']);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  test('stays case-insensitive, and lookahead still works', async () => {
    for (const name of ['Orders.EU', 'orders.us', 'tmp.1', 'billing']) declare(name);
    expect(names((await call('GET', `/api/queues/%2F?use_regex=true&name=${encodeURIComponent('^ORDERS\\.')}`)).body)).toEqual([
      'Orders.EU',
      'orders.us',
    ]);
    const notTmp = encodeURIComponent('^(?!TMP\\.)');
    expect(names((await call('GET', `/api/queues?use_regex=true&name=${notTmp}`)).body)).toEqual(['Orders.EU', 'billing', 'orders.us']);
  });

  test('an invalid pattern is still 400 with the same reason', async () => {
    expect(await call('GET', '/api/queues?use_regex=true&name=a(')).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: 'invalid regular expression: a(' },
    });
  });
});

describe('policy patterns', () => {
  test('a declare checks an exponential policy pattern in linear time', async () => {
    expect((await call('PUT', '/api/policies/%2F/evil', { pattern: EVIL, definition: { 'max-length': 1 } })).status).toBe(201);
    const { value, ms } = await timed(() => call('PUT', `/api/queues/%2F/${EVIL_NAME}`, { durable: false }));
    expect(value.status).toBe(201);
    expect(ms).toBeLessThan(BOUND_MS);
    expect((await call('GET', `/api/queues/%2F/${EVIL_NAME}`)).body.policy).toBeNull();
    expect((await call('PUT', '/api/queues/%2F/aaaa', { durable: false })).status).toBe(201);
    expect((await call('GET', '/api/queues/%2F/aaaa')).body.policy).toBe('evil');
  });

  test('setting a policy checks every queue in linear time', async () => {
    for (let i = 0; i < 5; i++) declare(`${EVIL_NAME}${'!'.repeat(i)}`);
    const { value, ms } = await timed(() => call('PUT', '/api/policies/%2F/evil', { pattern: EVIL, definition: { 'max-length': 1 } }));
    expect(value.status).toBe(201);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  test('a lookahead pattern applies as before', async () => {
    expect((await call('PUT', '/api/policies/%2F/la', { pattern: '^(?!skip\\.).*\\.la$', definition: { 'max-length': 1 } })).status).toBe(201);
    declare('keep.la');
    declare('skip.la');
    expect((await call('GET', '/api/queues/%2F/keep.la')).body.policy).toBe('la');
    expect((await call('GET', '/api/queues/%2F/skip.la')).body.policy).toBeNull();
  });

  test('an invalid pattern is still refused with the same reason', async () => {
    expect(await call('PUT', '/api/policies/%2F/bad', { pattern: 'a(', definition: { 'max-length': 1 } })).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: expect.stringContaining('pattern should be regular expression but is invalid: Invalid regular expression: /a(/: Unterminated group') },
    });
  });
});

describe('permission patterns', () => {
  test('a configure check against an exponential pattern runs in linear time', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mgmt', { configure: EVIL, write: '.*', read: '.*' })).status).toBe(204);
    const { value, ms } = await timed(() => call('PUT', `/api/queues/%2F/${EVIL_NAME}`, { durable: false }, as('mgmt')));
    expect(value).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
    expect(ms).toBeLessThan(BOUND_MS);
    expect((await call('PUT', '/api/queues/%2F/aaaa', { durable: false }, as('mgmt'))).status).toBe(201);
  });

  test('a topic permission against an exponential pattern runs in linear time', async () => {
    const body = { exchange: 'amq.topic', write: EVIL, read: '.*' };
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', body)).status).toBe(201);
    const publish = (routingKey: string) =>
      call('POST', '/api/exchanges/%2F/amq.topic/publish', { routing_key: routingKey, properties: {}, payload: 'x', payload_encoding: 'string' }, as('mgmt'));
    const { value, ms } = await timed(() => publish(EVIL_NAME));
    expect(value.status).toBe(401);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(await publish('aaaa')).toMatchObject({ status: 200, body: { routed: false } });
  });

  test('a lookahead permission works as before', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mgmt', { configure: '^(?!secret\\.).*', write: '.*', read: '.*' })).status).toBe(204);
    expect((await call('PUT', '/api/queues/%2F/secret.q', { durable: false }, as('mgmt'))).status).toBe(401);
    expect((await call('PUT', '/api/queues/%2F/open.q', { durable: false }, as('mgmt'))).status).toBe(201);
  });

  test('an invalid permission pattern is refused as before', async () => {
    const res = await call('PUT', '/api/permissions/%2F/mgmt', { configure: 'a(', write: '.*', read: '.*' });
    expect(res.status).toBe(400);
    expect(fx.f.access.getPermission('mgmt', '/')?.configure).toBe('.*');
  });
});
