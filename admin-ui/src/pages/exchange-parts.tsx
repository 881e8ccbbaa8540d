/** Pieces the exchange list, create form and detail page share: features and the known types. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';

export interface ExchangeFlags {
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}

/** Short names for the arguments shown as features (the rest show by their own name). */
const ARGUMENT_TAGS: Readonly<Record<string, string>> = { 'alternate-exchange': 'AE', 'x-delayed-type': 'DT' };

/** D, AD, I and one tag per argument, each with its meaning as a tooltip and for screen readers. */
export function Features(props: { exchange: ExchangeFlags }) {
  const x = props.exchange;
  const tags: Array<[string, string]> = [];
  if (x.durable) tags.push(['D', 'durable']);
  if (x.auto_delete) tags.push(['AD', 'auto-delete']);
  if (x.internal) tags.push(['I', 'internal']);
  for (const [key, value] of Object.entries(x.arguments)) {
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    tags.push([ARGUMENT_TAGS[key] ?? key, `${key}: ${shown}`]);
  }
  if (tags.length === 0) return <span class="muted">—</span>;
  return (
    <span class="exch-features">
      {tags.map(([tag, meaning]) => (
        <abbr key={meaning} class="exch-feature" title={meaning}>
          {tag}
        </abbr>
      ))}
    </span>
  );
}

/** Loads once (not on the refresh tick): lists that change rarely and feed form options. */
function useOnce<T>(load: () => Promise<T>, fallback: T): T {
  const [value, setValue] = useState<T>(fallback);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && setValue(v),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return value;
}

/** The exchange types the broker knows (GET /api/overview: exchange_types), the four standard ones until it answers. */
export function useExchangeTypes(): string[] {
  return useOnce(
    () => api.get<{ exchange_types?: Array<{ name: string }> }>('/api/overview').then((o) => (o.exchange_types ?? []).map((t) => t.name).sort()),
    ['direct', 'fanout', 'headers', 'topic'],
  );
}
