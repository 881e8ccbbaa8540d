import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SessionStore, SESSION_COOKIE } from './session';
import { loadUiFiles } from './ui';
import { useFixture } from './test-support/use-fixture';

/*
 * The web UI's session (session.ts): a cookie that authenticates like Basic does, ends when it should, and cannot be
 * used by another site to change state. The end-to-end side (a real browser) is admin-ui/e2e/shell.test.ts.
 */

const fx = useFixture();

async function loginCookie(user: string, password: string): Promise<{ status: number; cookie: string | undefined; body: string }> {
  const res = await fx.app.inject({
    method: 'POST',
    url: '/api/leveret/session',
    headers: { 'content-type': 'application/json', 'x-leveret-ui': '1' },
    payload: JSON.stringify({ username: user, password }),
  });
  const setCookie = res.headers['set-cookie'];
  const cookie = typeof setCookie === 'string' ? setCookie.split(';')[0] : undefined;
  return { status: res.statusCode, cookie, body: res.body };
}

describe('SessionStore', () => {
  const user = { name: 'u', tags: ['management'], credentialStamp: 's' };

  test('a session lives while it is used, and ends after the idle time', () => {
    let now = 0;
    const store = new SessionStore(() => now, 1000, 10);
    const token = store.open(user);
    now = 900;
    expect(store.use(token)).toMatchObject({ user: 'u', credentialStamp: 's' });
    now = 1800; // 900 ms after its last use
    expect(store.use(token)).toBeDefined();
    now = 2801;
    expect(store.use(token)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  test('past the limit, a new login ends the session idle the longest', () => {
    let now = 0;
    const store = new SessionStore(() => now, 60_000, 2);
    const a = store.open(user);
    now = 1;
    const b = store.open(user);
    now = 2;
    store.use(a); // b is now the least recently used
    const c = store.open(user);
    expect(store.size).toBe(2);
    expect(store.use(b)).toBeUndefined();
    expect(store.use(a)).toBeDefined();
    expect(store.use(c)).toBeDefined();
  });

  test('tokens are random and unguessable (32 bytes, base64url)', () => {
    const store = new SessionStore();
    const tokens = new Set(Array.from({ length: 100 }, () => store.open(user)));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('/api/leveret/session', () => {
  test('GET says who is logged in: null without a session, the user with one', async () => {
    const anonymous = await fx.app.inject({ method: 'GET', url: '/api/leveret/session' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ user: null });
    const { cookie } = await loginCookie('mgmt', 'mgmt');
    const known = await fx.app.inject({ method: 'GET', url: '/api/leveret/session', headers: { cookie: cookie as string } });
    expect(known.json()).toEqual({ user: { name: 'mgmt', tags: ['management'] } });
  });

  test('a refused login gets no cookie and no Basic challenge; a user without a management tag is refused', async () => {
    const wrong = await loginCookie('guest', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.cookie).toBeUndefined();
    expect(JSON.parse(wrong.body)).toEqual({ error: 'not_authorised', reason: 'Login failed' });
    const plain = await loginCookie('plain', 'plain');
    expect(plain.status).toBe(401);
    expect(JSON.parse(plain.body)).toEqual({ error: 'not_authorised', reason: 'Not management user' });
    const bad = await fx.app.inject({
      method: 'POST',
      url: '/api/leveret/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'guest', password: 7 }),
    });
    expect(bad.statusCode).toBe(400);
  });

  test('the cookie authenticates reads; a change also needs the UI header; tags apply as for Basic', async () => {
    const { cookie } = await loginCookie('mon', 'mon');
    const headers = { cookie: cookie as string };
    expect((await fx.app.inject({ method: 'GET', url: '/api/overview', headers })).statusCode).toBe(200);
    const noHeader = await fx.app.inject({ method: 'PUT', url: '/api/vhosts/v1', headers });
    expect(noHeader.statusCode).toBe(403);
    expect(noHeader.json().reason).toBe('a change made with the session cookie needs the x-leveret-ui header');
    // monitoring is not administrator: the header does not lift the tag gate.
    const notAdmin = await fx.app.inject({ method: 'PUT', url: '/api/vhosts/v1', headers: { ...headers, 'x-leveret-ui': '1' } });
    expect(notAdmin.statusCode).toBe(401);
    expect(notAdmin.json().reason).toBe('Not administrator user');
    expect(fx.f.vhosts.get('v1')).toBeUndefined();

    const admin = (await loginCookie('guest', 'guest')).cookie as string;
    const made = await fx.app.inject({ method: 'PUT', url: '/api/vhosts/v1', headers: { cookie: admin, 'x-leveret-ui': '1' } });
    expect(made.statusCode).toBe(201);
  });

  test('a cookie that names no session, or a malformed one, is a failed login', async () => {
    for (const cookie of [`${SESSION_COOKIE}=${'A'.repeat(43)}`, `${SESSION_COOKIE}=<script>`, `other=1`]) {
      const res = await fx.app.inject({ method: 'GET', url: '/api/overview', headers: { cookie } });
      expect(res.statusCode).toBe(401);
    }
  });

  test('logout ends the session', async () => {
    const { cookie } = await loginCookie('guest', 'guest');
    const out = await fx.app.inject({ method: 'DELETE', url: '/api/leveret/session', headers: { cookie: cookie as string, 'x-leveret-ui': '1' } });
    expect(out.statusCode).toBe(204);
    expect(out.headers['set-cookie']).toBe(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    expect((await fx.app.inject({ method: 'GET', url: '/api/overview', headers: { cookie: cookie as string } })).statusCode).toBe(401);
  });
});

describe('serving the UI files', () => {
  test('without a build, / explains how to build it, and still carries the security headers', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/' });
    // The fixture points at an empty directory unless dist/admin-ui exists: either way / is HTML.
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  test('loadUiFiles reads index.html and assets with their compressed siblings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leveret-ui-files-'));
    try {
      expect(loadUiFiles(dir).size).toBe(0);
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'assets', 'main-ABC.js'), 'console.log(1)');
      writeFileSync(join(dir, 'assets', 'main-ABC.js.gz'), gzipSync('console.log(1)'));
      const files = loadUiFiles(dir);
      expect([...files.keys()].sort()).toEqual(['assets/main-ABC.js', 'index.html']);
      expect(files.get('assets/main-ABC.js')?.type).toBe('text/javascript; charset=utf-8');
      expect(files.get('assets/main-ABC.js')?.gzip).toBeDefined();
      expect(files.get('assets/main-ABC.js')?.brotli).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
