/**
 * The UI's shell: how the broker serves it (hashed, pre-compressed, cached, security headers), the session cookie,
 * login and logout in the browser, and the tag gates.
 */
import { apiCall, login, openPage, useUi } from './support/harness';
jest.setTimeout(60000);
const env = useUi();
describe('serving', () => {
  test('/ is the UI page with a strict CSP, revalidated on every load; assets are hashed, compressed and cached', async () => {
    const index = await fetch(`${env.ui.base}/`, { headers: { 'accept-encoding': 'br' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i);
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const gz = await fetch(`${env.ui.base}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(gz.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await gz.text()).length).toBeGreaterThan(1000); // fetch decodes it
    const missing = await fetch(`${env.ui.base}/assets/nope-12345678.js`);
    expect(missing.status).toBe(404);
  });
  test('API responses carry the same security headers, and Basic auth keeps working for API clients', async () => {
    const overview = (await apiCall(env.ui.base, 'GET', '/api/overview')) as { product_name?: string };
    expect(overview.product_name).toBe('Leveret');
    const plain = await fetch(`${env.ui.base}/api/overview`);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toMatch(/^Basic/);
    // The UI's own requests are never challenged: the browser would open its login dialog over the UI's.
    const fromUi = await fetch(`${env.ui.base}/api/overview`, { headers: { 'x-leveret-ui': '1' } });
    expect(fromUi.status).toBe(401);
    expect(fromUi.headers.get('www-authenticate')).toBeNull();
  });
});
describe('session', () => {
  async function sessionCookie(user = 'guest', password = 'guest'): Promise<Response> {
    return fetch(`${env.ui.base}/api/leveret/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-leveret-ui': '1' },
      body: JSON.stringify({ username: user, password }),
    });
  }
  test('login sets an HttpOnly SameSite=Strict cookie that authenticates; a wrong password gets none', async () => {
    const bad = await sessionCookie('guest', 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const ok = await sessionCookie();
    expect(ok.status).toBe(204);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^leveret_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const cookie = setCookie.split(';')[0] as string;
    const who = await fetch(`${env.ui.base}/api/whoami`, { headers: { cookie } });
    expect(await who.json()).toMatchObject({ name: 'guest' });
    // A change with the cookie alone (no UI header) is refused: a form on another site could send the cookie.
    const forged = await fetch(`${env.ui.base}/api/vhosts/forged`, { method: 'PUT', headers: { cookie } });
    expect(forged.status).toBe(403);
    expect((await fetch(`${env.ui.base}/api/vhosts/forged`, { headers: { cookie } })).status).toBe(404);
    const fromUi = await fetch(`${env.ui.base}/api/vhosts/from-ui`, { method: 'PUT', headers: { cookie, 'x-leveret-ui': '1' } });
    expect(fromUi.status).toBe(201);
    // Another origin is refused even with the header (csrf.ts).
    const crossSite = await fetch(`${env.ui.base}/api/vhosts/cross`, {
      method: 'PUT',
      headers: { cookie, 'x-leveret-ui': '1', origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const out = await fetch(`${env.ui.base}/api/leveret/session`, { method: 'DELETE', headers: { cookie, 'x-leveret-ui': '1' } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^leveret_session=; .*Max-Age=0/);
    expect((await fetch(`${env.ui.base}/api/whoami`, { headers: { cookie } })).status).toBe(401);
  });
  test('a session ends when its user is deleted or its password changes', async () => {
    await apiCall(env.ui.base, 'PUT', '/api/users/temp-admin', { password: 'one', tags: 'administrator' });
    const cookie = ((await sessionCookie('temp-admin', 'one')).headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await fetch(`${env.ui.base}/api/whoami`, { headers: { cookie } })).status).toBe(200);
    await apiCall(env.ui.base, 'PUT', '/api/users/temp-admin', { password: 'two', tags: 'administrator' });
    expect((await fetch(`${env.ui.base}/api/whoami`, { headers: { cookie } })).status).toBe(401);
    const again = ((await sessionCookie('temp-admin', 'two')).headers.get('set-cookie') ?? '').split(';')[0] as string;
    await apiCall(env.ui.base, 'DELETE', '/api/users/temp-admin');
    expect((await fetch(`${env.ui.base}/api/whoami`, { headers: { cookie: again } })).status).toBe(401);
  });
});
describe('in the browser', () => {
  test('login, the cookie is out of reach of scripts, logout returns to the login form', async () => {
    const w = await openPage(env.browser, env.ui.base);
    try {
      await login(w, env.ui.base);
      await w.page.getByRole('link', { name: 'Queues' }).waitFor();
      expect(await w.page.evaluate('document.cookie')).toBe('');
      const cookies = await w.context.cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['leveret_session', true, 'Strict']]);
      await w.page.getByRole('button', { name: 'Log out' }).click();
      await w.page.getByLabel('Username').waitFor();
      expect((await w.context.cookies()).length).toBe(0);
      await w.page.reload();
      await w.page.getByLabel('Username').waitFor();
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
  test('a wrong password shows the reason and no Basic dialog', async () => {
    const w = await openPage(env.browser, env.ui.base);
    try {
      w.allowFailures.push('POST /api/leveret/session -> 401');
      let dialogs = 0;
      w.page.on('dialog', () => dialogs++);
      await w.page.goto(`${env.ui.base}/`);
      await w.page.getByLabel('Username').fill('guest');
      await w.page.getByLabel('Password').fill('nope');
      await w.page.getByRole('button', { name: 'Log in' }).click();
      await w.page.getByRole('alert').getByText('Login failed').waitFor();
      expect(dialogs).toBe(0);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
  test('tag gates: a monitoring user sees no Admin page; a user without a management tag cannot log in', async () => {
    await apiCall(env.ui.base, 'PUT', '/api/users/watcher', { password: 'w', tags: 'monitoring' });
    await apiCall(env.ui.base, 'PUT', '/api/users/plain', { password: 'p', tags: '' });
    const w = await openPage(env.browser, env.ui.base);
    try {
      await login(w, env.ui.base, 'watcher', 'w');
      await w.page.getByRole('link', { name: 'Connections' }).waitFor();
      expect(await w.page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
      await w.page.goto(`${env.ui.base}/#/admin/users`);
      await w.page.getByText("Your user's tags do not open this page.").waitFor();
      await w.page.getByRole('button', { name: 'Log out' }).click();
      w.allowFailures.push('POST /api/leveret/session -> 401');
      await w.page.getByLabel('Username').fill('plain');
      await w.page.getByLabel('Password').fill('p');
      await w.page.getByRole('button', { name: 'Log in' }).click();
      await w.page.getByRole('alert').getByText('Not management user').waitFor();
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
