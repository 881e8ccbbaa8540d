/**
 * The vhost choice of the listings (connections, channels, exchanges, queues, policies), the vhost field of the create
 * forms (exchange, queue, policy), and the names behind both.
 */
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { setQuery } from '../lib/router';
import { Field, inputValue } from './ui';

/** The vhost names the user may see, for selectors (reloaded on the refresh tick like everything else). */
export function useVhostNames(): string[] {
  const live = useLive(() => api.get<Array<{ name: string }>>(apiPath(['vhosts'], { columns: 'name' })), 'vhosts');
  return (live.data ?? []).map((v) => v.name);
}

/**
 * Picks the vhost a list shows, kept in the URL's `vhost` query (empty: all), back to the first page on a change.
 * `names` comes from useVhostNames() in the page, which often needs them for its create form too (one request).
 */
export function VhostSelect(props: { value: string | undefined; names: readonly string[]; label?: string }) {
  const value = props.value ?? '';
  return (
    <label class="inline">
      {props.label ?? 'Virtual host'}{' '}
      <select value={value} onChange={(e) => setQuery({ vhost: inputValue(e), page: undefined })}>
        <option value="">All</option>
        <VhostOptions current={value} names={props.names} />
      </select>
    </label>
  );
}

/** A form's vhost field (no "All": a form acts in one vhost). */
export function VhostField(props: { id: string; value: string; names: readonly string[]; onChange: (vhost: string) => void }) {
  return (
    <Field id={props.id} label="Virtual host">
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(inputValue(e))}>
        <VhostOptions current={props.value} names={props.names} />
      </select>
    </Field>
  );
}

/** The names as options, the current choice first if missing: it stays listed while the names load (or if it is gone). */
function VhostOptions(props: { current: string; names: readonly string[] }) {
  return (
    <>
      {[...new Set([...(props.current === '' ? [] : [props.current]), ...props.names])].map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}
