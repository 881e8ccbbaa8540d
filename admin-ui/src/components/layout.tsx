/** The frame around every page: brand, navigation (only what the user's tags open), refresh, theme, logout. */
import type { ComponentChildren } from 'preact';
import { REFRESH_CHOICES, refreshMs, setRefresh } from '../lib/live';
import { href, route } from '../lib/router';
import { can, logout, me } from '../lib/session';
import { setTheme, theme, type Theme } from '../lib/theme';
import { NAV, type Gate } from '../routes';

export function allowed(gate: Gate): boolean {
  if (gate === undefined) return true;
  return can[gate].value;
}

export function Layout(props: { children: ComponentChildren }) {
  const current = route.value.path[0] ?? '';
  return (
    <div class="app">
      <header class="top">
        <a class="brand" href="#/">
          Leveret
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.filter((item) => allowed(item.gate)).map((item) => (
            <a key={item.segment} href={href(item.segment === '' ? [] : [item.segment])} aria-current={item.segment === current ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <div class="controls">
          <label class="inline">
            Refresh{' '}
            <select value={String(refreshMs.value)} onChange={(e) => setRefresh(Number((e.currentTarget as HTMLSelectElement).value))}>
              {REFRESH_CHOICES.map((ms) => (
                <option key={ms} value={String(ms)}>
                  {ms === 0 ? 'off' : `every ${ms / 1000} s`}
                </option>
              ))}
            </select>
          </label>
          <label class="inline">
            Theme{' '}
            <select value={theme.value} onChange={(e) => setTheme((e.currentTarget as HTMLSelectElement).value as Theme)}>
              <option value="system">system</option>
              <option value="light">light</option>
              <option value="dark">dark</option>
            </select>
          </label>
          <span class="user" title={me.value?.tags.join(', ')}>
            {me.value?.name}
          </span>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <main class="content" id="main">
        {props.children}
      </main>
    </div>
  );
}
