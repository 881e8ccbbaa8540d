import type { InjectOptions } from 'fastify';
import { GUEST } from './test-support/fixture';
import { useFixture } from './test-support/use-fixture';

/*
 * Issue 11: a text/plain form post from another site created an administrator. Bodies must be application/json, and
 * state-changing requests from another site (Origin, Sec-Fetch-Site) are refused; API clients (no Origin, JSON
 * bodies, empty DELETEs) work as before.
 */

const fx = useFixture();

const ADMIN_DEFINITIONS = JSON.stringify({ users: [{ name: 'evil', password: 'evil', tags: 'administrator' }] });
const ADMIN_USER = JSON.stringify({ password: 'evil', tags: 'administrator' });

async function send(method: InjectOptions['method'], url: string, headers: Record<string, string>, payload?: string) {
  const res = await fx.app.inject({ method, url, headers: { ...GUEST, ...headers }, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.body === '' ? undefined : (res.json() as { error: string; reason: string }) };
}

describe('request bodies must be JSON', () => {
  test('multipart/form-data is read only by POST /api/definitions (the UI upload), and refused from another site', async () => {
    const type = 'multipart/form-data; boundary=x';
    const upload = `--x\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\n\r\n${ADMIN_DEFINITIONS}\r\n--x--\r\n`;
    const crossSite = await send('POST', '/api/definitions', { 'content-type': type, origin: 'http://evil.example' }, upload);
    expect(crossSite.status).toBe(403);
    expect(fx.f.access.getUser('evil')).toBeUndefined();
    expect((await send('PUT', '/api/users/evil', { 'content-type': type }, ADMIN_USER)).status).toBe(415);
    expect((await send('POST', '/api/definitions', { 'content-type': type }, ADMIN_DEFINITIONS)).status).toBe(400);
    expect(fx.f.access.getUser('evil')).toBeUndefined();
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'text/plain; charset=utf-8'])(
    'a %s body that would create an administrator is 415, and nothing is created',
    async (type) => {
      const viaDefinitions = await send('POST', '/api/definitions', { 'content-type': type }, ADMIN_DEFINITIONS);
      expect(viaDefinitions.status).toBe(415);
      expect(viaDefinitions.body).toEqual({ error: 'unsupported_media_type', reason: `Content-Type '${type}' is not accepted: send the body as application/json` });
      expect((await send('PUT', '/api/users/evil', { 'content-type': type }, ADMIN_USER)).status).toBe(415);
      expect(fx.f.access.getUser('evil')).toBeUndefined();
    },
  );

  test('an untyped or text/plain JSON body with X-Vhost (RabbitMQ web UI publish and get) is read; from another site it is 403', async () => {
    expect((await send('PUT', '/api/users/alice', { 'content-type': 'text/plain;charset=UTF-8', 'x-vhost': '' }, ADMIN_USER)).status).toBe(201);
    expect(fx.f.access.getUser('alice')?.tags).toEqual(['administrator']);
    expect((await send('PUT', '/api/users/bob', { 'x-vhost': '/' }, ADMIN_USER)).status).toBe(201);
    const crossSite = await send('PUT', '/api/users/evil', { 'content-type': 'text/plain', 'x-vhost': '', origin: 'http://evil.example' }, ADMIN_USER);
    expect(crossSite.status).toBe(403);
    expect(fx.f.access.getUser('evil')).toBeUndefined();
  });

  test('a body without a content type is 415', async () => {
    const res = await send('PUT', '/api/users/evil', {}, ADMIN_USER);
    expect(res).toEqual({ status: 415, body: { error: 'unsupported_media_type', reason: 'a request body needs Content-Type: application/json' } });
    expect(fx.f.access.getUser('evil')).toBeUndefined();
  });

  test.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])('%s is accepted', async (type) => {
    expect((await send('PUT', '/api/users/alice', { 'content-type': type }, ADMIN_USER)).status).toBe(201);
    expect(fx.f.access.getUser('alice')?.tags).toEqual(['administrator']);
  });

  test('requests without a body need no content type (DELETE, a PUT meaning {})', async () => {
    expect((await send('PUT', '/api/vhosts/v1', {})).status).toBe(201);
    expect((await send('PUT', '/api/queues/%2F/q', { 'content-type': 'text/plain' }, '')).status).toBe(201);
    expect((await send('DELETE', '/api/queues/%2F/q', {})).status).toBe(204);
    expect((await send('DELETE', '/api/vhosts/v1', { 'content-type': 'application/json' })).status).toBe(204);
  });

  test('rabbitmqadmin-style requests work: JSON bodies, no Origin', async () => {
    const json = { 'content-type': 'application/json' };
    expect((await send('PUT', '/api/queues/%2F/admin-q', json, '{"durable":true,"auto_delete":false,"arguments":{}}')).status).toBe(201);
    expect((await send('POST', '/api/bindings/%2F/e/amq.direct/q/admin-q', json, '{"routing_key":"k","arguments":{}}')).status).toBe(201);
    expect((await send('DELETE', '/api/queues/%2F/admin-q', json)).status).toBe(204);
  });
});

describe('state-changing requests from another site are 403', () => {
  const json = { 'content-type': 'application/json', host: '127.0.0.1:15672' };

  test.each([
    ['Origin: http://evil.example', { origin: 'http://evil.example' }, /^Origin 'http:\/\/evil\.example' is not this server's/],
    ['Origin: null', { origin: 'null' }, /^Origin 'null' is not this server's/],
    ['Origin on another port', { origin: 'http://127.0.0.1:8080' }, /^Origin/],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, /^Sec-Fetch-Site: cross-site/],
  ])('%s', async (_name, headers, reason) => {
    for (const [method, url] of [
      ['PUT', '/api/users/evil'],
      ['POST', '/api/definitions'],
    ] as const) {
      const res = await send(method, url, { ...json, ...headers }, method === 'PUT' ? ADMIN_USER : ADMIN_DEFINITIONS);
      expect(res.status).toBe(403);
      expect(res.body?.error).toBe('forbidden');
      expect(res.body?.reason).toMatch(reason);
    }
    expect((await send('DELETE', '/api/users/guest', { ...headers, host: '127.0.0.1:15672' })).status).toBe(403);
    expect(fx.f.access.getUser('evil')).toBeUndefined();
    expect(fx.f.access.getUser('guest')).toBeDefined();
  });

  test('reads from another site are not refused (the browser keeps the answer from the page)', async () => {
    expect((await send('GET', '/api/overview', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });

  test('the same origin, or no Origin at all, may change state', async () => {
    const cases: Array<Record<string, string>> = [
      { host: '127.0.0.1:15672', origin: 'http://127.0.0.1:15672', 'sec-fetch-site': 'same-origin' },
      { host: 'Broker.Example', origin: 'https://broker.example' },
      { host: 'broker.example:443', origin: 'https://broker.example' },
      { host: '[::1]:15672', origin: 'http://[::1]:15672' },
      // Behind a proxy that rewrites Host.
      { host: '127.0.0.1:15672', 'x-forwarded-host': 'rabbit.example.com', origin: 'https://rabbit.example.com' },
      { host: '127.0.0.1:15672' },
    ];
    for (const [i, headers] of cases.entries()) {
      expect({ headers, status: (await send('PUT', `/api/users/u${i}`, { 'content-type': 'application/json', ...headers }, ADMIN_USER)).status }).toEqual({
        headers,
        status: 201,
      });
    }
  });
});
