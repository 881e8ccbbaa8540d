/*
 * #/audit (administrators): the audit log, who changed which definition, user or permission, from where, when, and
 * whether it was refused (GET /api/leveret/audit), newest first. Filters (user, action, vhost, since) and the number
 * of entries shown live in the URL, so a link reproduces the view; a row's details open below it; Export downloads
 * the entries the filters match (GET /api/leveret/audit/export) as a JSON file.
 */
import { useState } from 'preact/hooks';
import type { PageProps } from '../routes';
import { api, apiPath } from '../lib/api';
import { timestamp } from '../lib/format';
import { useLive } from '../lib/live';
import { setQuery } from '../lib/router';
import { ActionButton, ErrorBox, PageTitle, inputValue } from '../components/ui';
import { VhostSelect, useVhostNames } from '../components/vhost-select';

interface AuditEntry {
  id: number;
  at: number;
  user: string;
  source: string;
  peer: string;
  vhost: string;
  action: string;
  object: { type: string; name: string };
  details: unknown;
  result: 'ok' | 'refused';
  reason?: string;
}

const LIMITS = ['100', '500', '1000'];

/** The API's filters from the URL's query: since is a local date-time as the input gives it, sent as ms. */
function filtersOf(query: Readonly<Record<string, string>>): Record<string, string | undefined> {
  const since = query.since === undefined || query.since === '' ? undefined : new Date(query.since).getTime();
  return {
    user: query.user,
    action: query.action,
    vhost: query.vhost,
    since: since === undefined || !Number.isFinite(since) ? undefined : String(since),
  };
}

async function exportEntries(filters: Record<string, string | undefined>): Promise<void> {
  const doc = await api.get<unknown>(apiPath(['leveret', 'audit', 'export'], filters));
  const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `leveret-audit-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A text filter kept in the URL; applied when the field is left or Enter is pressed (not on every key). */
function TextFilter(props: { name: string; label: string; value: string | undefined; placeholder: string }) {
  return (
    <label class="inline">
      {props.label}{' '}
      <input
        type="search"
        name={props.name}
        value={props.value ?? ''}
        placeholder={props.placeholder}
        onChange={(e) => setQuery({ [props.name]: inputValue(e) }, { replace: true })}
      />
    </label>
  );
}

function Row(props: { e: AuditEntry }) {
  const [open, setOpen] = useState(false);
  const e = props.e;
  return (
    <>
      <tr class={`audit-${e.result}`}>
        <td class="audit-time">{timestamp(e.at)}</td>
        <td>{e.user === '' ? <span class="muted">(broker)</span> : e.user}</td>
        <td>{e.source}</td>
        <td>{e.peer}</td>
        <td>{e.vhost}</td>
        <td>
          <code>{e.action}</code>
        </td>
        <td>
          <span class="muted">{e.object.type}</span> {e.object.name}
        </td>
        <td class="audit-result">
          {e.result}
          {e.reason !== undefined && <div class="audit-reason">{e.reason}</div>}
        </td>
        <td>
          <button type="button" aria-expanded={open} aria-label={`Details of entry ${e.id}`} onClick={() => setOpen(!open)}>
            {open ? 'Hide' : 'Details'}
          </button>
        </td>
      </tr>
      {open && (
        <tr class="audit-details">
          <td colSpan={9}>
            <pre class="json">{JSON.stringify(e.details, null, 2)}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

export default function Page(props: PageProps) {
  const query = props.route.query;
  const filters = filtersOf(query);
  const limit = LIMITS.includes(query.limit ?? '') ? (query.limit as string) : '100';
  const path = apiPath(['leveret', 'audit'], { ...filters, limit });
  const live = useLive(() => api.get<{ total: number; items: AuditEntry[] }>(path), path);
  const vhosts = useVhostNames();
  const items = live.data?.items ?? [];
  return (
    <>
      <PageTitle title="Audit log" />
      <p class="muted">Every change to definitions, users and permissions, and every refused attempt, newest first.</p>
      <div class="list-controls audit-filters" role="search">
        <TextFilter name="user" label="User" value={query.user} placeholder="any" />
        <TextFilter name="action" label="Action" value={query.action} placeholder="e.g. queue or user.put" />
        <VhostSelect value={query.vhost} names={vhosts} />
        <label class="inline">
          Since (local time){' '}
          <input type="datetime-local" name="since" value={query.since ?? ''} onChange={(e) => setQuery({ since: inputValue(e) }, { replace: true })} />
        </label>
        <label class="inline">
          Show{' '}
          <select name="limit" value={limit} onChange={(e) => setQuery({ limit: inputValue(e) })}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <ActionButton label="Export" run={() => exportEntries(filters)} />
      </div>
      <ErrorBox error={live.error} />
      <p class="count" role="status">
        {live.data === undefined ? 'Loading…' : `${items.length} of ${live.data.total} entries`}
      </p>
      <table class="grid audit" aria-label="Audit log">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>User</th>
            <th>Source</th>
            <th>Peer</th>
            <th>Vhost</th>
            <th>Action</th>
            <th>Object</th>
            <th>Result</th>
            <th>
              <span class="muted">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <Row key={e.id} e={e} />
          ))}
          {live.data !== undefined && items.length === 0 && (
            <tr>
              <td class="empty" colSpan={9}>
                No entries match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}
