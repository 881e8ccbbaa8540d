/** Light, dark or the system's theme, remembered in localStorage; styles.css reads html[data-theme]. */
import { effect, signal } from '@preact/signals';

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'leveret.theme';

function initial(): Theme {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export const theme = signal<Theme>(initial());

/** Whether the system asks for dark: what 'system' shows, followed as the system changes. */
const darkQuery = matchMedia('(prefers-color-scheme: dark)');
export const systemDark = signal(darkQuery.matches);
darkQuery.addEventListener('change', (e) => {
  systemDark.value = e.matches;
});

/** The theme on screen now. */
export function shownTheme(): 'light' | 'dark' {
  return theme.value === 'system' ? (systemDark.value ? 'dark' : 'light') : theme.value;
}

export function setTheme(value: Theme): void {
  theme.value = value;
  localStorage.setItem(KEY, value);
}

effect(() => {
  document.documentElement.dataset.theme = theme.value;
});
