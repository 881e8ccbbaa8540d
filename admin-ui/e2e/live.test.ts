/**
 * Live refresh and preferences: the shared tick reloads what a page shows without touching what the user is typing;
 * "off" stops it; the chosen interval and theme survive a reload (localStorage), and the theme follows the system's
 * when asked to.
 */
import type { Request } from 'playwright-core';
import { apiCall, login, openPage, useUi } from './support/harness';

jest.setTimeout(60000);

const env = useUi();

test('a refresh shows new data and keeps what the user is typing; off stops refreshing', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await login(w, env.ui.base, 'guest', 'guest', '#/admin/users');
    await w.page.getByLabel('Refresh').selectOption({ label: 'every 2 s' });
    const name = w.page.getByLabel('Name', { exact: true });
    await name.fill('half-typed nämé');
    await w.page.getByLabel('Password').first().fill('secret in progress');
    // Made elsewhere while the user types: the next tick shows it.
    await apiCall(env.ui.base, 'PUT', '/api/users/appeared-meanwhile', { password: 'x', tags: 'management' });
    await w.page.getByRole('link', { name: 'appeared-meanwhile' }).waitFor({ timeout: 5000 });
    expect(await name.inputValue()).toBe('half-typed nämé');

    await w.page.getByLabel('Refresh').selectOption({ label: 'off' });
    const seen: string[] = [];
    const listen = (r: Request) => {
      if (r.url().includes('/api/')) seen.push(r.url());
    };
    w.page.on('request', listen);
    await w.page.waitForTimeout(4500);
    w.page.off('request', listen);
    expect(seen).toEqual([]);
    expect(await name.inputValue()).toBe('half-typed nämé');

    // Remembered across a reload.
    await w.page.reload();
    await w.page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await w.page.getByLabel('Refresh').inputValue()).toBe('0');
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});

test('theme: light, dark, or the system one, remembered across a reload', async () => {
  const w = await openPage(env.browser, env.ui.base);
  try {
    await w.page.emulateMedia({ colorScheme: 'dark' });
    await login(w, env.ui.base);
    const background = () => w.page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(await w.page.getAttribute('html', 'data-theme')).toBe('system');
    expect(await background()).toBe('rgb(21, 24, 27)'); // the system is dark
    await w.page.getByLabel('Theme').selectOption('light');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await w.page.reload();
    await w.page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await w.page.getAttribute('html', 'data-theme')).toBe('light');
    await w.page.getByLabel('Theme').selectOption('dark');
    await w.page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(21, 24, 27)');
    expect(w.problems).toEqual([]);
  } finally {
    await w.close();
  }
});
