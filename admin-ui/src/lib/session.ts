/*
 * Who is logged in. The session itself is an HttpOnly cookie the script never sees (src/management/session.ts):
 * the UI only knows the user's name and tags, from GET /api/whoami, and what those tags let it show.
 */
import { computed, effect, signal } from '@preact/signals';
import { api, sessionLost } from './api';

export interface Me {
  readonly name: string;
  readonly tags: readonly string[];
}

/** undefined while the first whoami is on its way; null when nobody is logged in. */
export const me = signal<Me | null | undefined>(undefined);

function tagsOf(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'string') return raw.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return [];
}

export async function refreshMe(): Promise<void> {
  try {
    const { user } = await api.get<{ user: { name: string; tags: unknown } | null }>('/api/leveret/session');
    me.value = user === null ? null : { name: user.name, tags: tagsOf(user.tags) };
  } catch {
    me.value = null;
  }
}

export async function login(username: string, password: string): Promise<void> {
  await api.post('/api/leveret/session', { username, password });
  await refreshMe();
}

export async function logout(): Promise<void> {
  try {
    await api.del('/api/leveret/session');
  } finally {
    me.value = null;
  }
}

effect(() => {
  if (sessionLost.value > 0) me.value = null;
});

/** What the user's tags allow (RabbitMQ's tag gates). */
export const can = {
  admin: computed(() => me.value?.tags.includes('administrator') === true),
  monitor: computed(() => me.value?.tags.some((t) => t === 'administrator' || t === 'monitoring') === true),
  policymaker: computed(() => me.value?.tags.some((t) => t === 'administrator' || t === 'policymaker') === true),
};
