/*
 * Queue health (issue 15), as the API's `leveret_health` gives it: the block on the queue page and the list's
 * badge and columns. The states and figures are defined in src/admin/views/health.ts (and src/management/README.md).
 */
import { KeyValues, Section } from '../components/ui';

export interface QueueHealthJson {
  readonly oldest_ready_age_ms?: number;
  readonly consumer_utilisation?: number;
  readonly time_to_empty_s?: number | null;
  readonly state?: string;
}

const STATES: Readonly<Record<string, readonly [label: string, meaning: string]>> = {
  ok: ['OK', 'nothing waits, or it goes out in time'],
  backlog: ['Backlog', 'the oldest ready message waited a minute or more, or emptying takes over a minute'],
  stalled: ['Stalled', 'consumers exist but no message left the queue over the last minute'],
  no_consumers: ['No consumers', 'messages are ready and no consumer takes them'],
};

/** A span of time as people say it: "12 s", "3 min 12 s", "2 h 5 min", "3 d 4 h". */
export function spoken(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** The oldest ready message's age, short: "3 min 12 s", or "—" when none is ready. */
export function oldestText(h: QueueHealthJson | undefined): string {
  const ms = h?.oldest_ready_age_ms;
  if (typeof ms !== 'number' || ms <= 0) return '—';
  return ms < 1000 ? 'under 1 s' : spoken(ms / 1000);
}

/** Time to empty, short: "about 40 s", "empty", "not draining". */
export function emptiesText(h: QueueHealthJson | undefined): string {
  const t = h?.time_to_empty_s;
  if (h === undefined || t === undefined) return '—';
  if (t === null) return 'not draining';
  if (t === 0) return 'empty';
  return t < 1 ? 'under 1 s' : `about ${spoken(t)}`;
}

export function HealthBadge(props: { health: QueueHealthJson | undefined }) {
  const state = props.health?.state;
  if (state === undefined) return <span class="muted">—</span>;
  const [label, meaning] = STATES[state] ?? [state, ''];
  return (
    <span class={`q-badge q-health q-health-${state}`} title={meaning}>
      {label}
    </span>
  );
}

/** The queue page's "Health" block: the state and the three figures, in words. */
export function HealthBlock(props: { health: QueueHealthJson | undefined }) {
  const h = props.health;
  if (h === undefined) return null;
  const state = h.state === undefined ? undefined : STATES[h.state];
  const oldest = oldestText(h);
  const util = h.consumer_utilisation;
  return (
    <Section title="Health">
      <div class="q-health-block">
        <KeyValues
          rows={[
            [
              'State',
              <>
                <HealthBadge health={h} /> {state !== undefined && <span class="muted">{state[1]}</span>}
              </>,
            ],
            ['Oldest message', oldest === '—' ? <span class="muted">none ready</span> : `oldest message ${oldest}`],
            ['Consumer utilisation', typeof util === 'number' ? `${Math.round(util * 100)}%` : '—'],
            ['Time to empty', h.time_to_empty_s === null ? 'not draining' : h.time_to_empty_s === 0 ? 'empty' : `empties in ${emptiesText(h)}`],
          ]}
        />
      </div>
    </Section>
  );
}
