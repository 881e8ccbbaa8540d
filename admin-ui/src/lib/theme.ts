/** Light, dark or the system's theme, remembered in localStorage; styles.css reads html[data-theme]. */
import { effect, signal } from '@preact/signals';

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'leveret.theme';

function initial(): Theme {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export const theme = signal<Theme>(initial());

export function setTheme(value: Theme): void {
  theme.value = value;
  localStorage.setItem(KEY, value);
}

effect(() => {
  document.documentElement.dataset.theme = theme.value;
});
