/*
 * Who may do what, seen from one side: a user's detail page lists its permissions per vhost, a vhost's detail page
 * the permissions of every user on it. The same sections serve both, with the other side picked from a list. Also
 * the limits of one vhost or one user. Every request goes through apiPath, so names such as '/' or 'a b' are safe.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ActionButton, ActionForm, ErrorBox, Field, inputValue, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { href } from '../lib/router';

/** The side a section is seen from: permissions of this user, or on this vhost. */
export type Side = { readonly kind: 'user'; readonly name: string } | { readonly kind: 'vhost'; readonly name: string };

interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** The names on the other side (vhosts for a user, users for a vhost), for the form's select. */
function useOtherNames(side: Side): string[] {
  const path = apiPath([side.kind === 'user' ? 'vhosts' : 'users']);
  const live = useLive(() => api.get<Array<{ name: string }>>(path), path);
  return (live.data ?? []).map((x) => x.name);
}

function otherOf(side: Side, row: { user: string; vhost: string }): string {
  return side.kind === 'user' ? row.vhost : row.user;
}

function OtherLink(props: { side: Side; name: string }) {
  const segment = props.side.kind === 'user' ? 'vhosts' : 'users';
  return <a href={href(['admin', segment, props.name])}>{props.name}</a>;
}

/** The user and vhost of a row whose other side is `other`. */
function pair(side: Side, other: string): { user: string; vhost: string } {
  return side.kind === 'user' ? { user: side.name, vhost: other } : { user: other, vhost: side.name };
}

function OtherSelect(props: { id: string; side: Side; names: string[]; value: string; onChange: (v: string) => void }) {
  return (
    <Field id={props.id} label={props.side.kind === 'user' ? 'Virtual host' : 'User'}>
      <select id={props.id} value={props.value} required onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">choose…</option>
        {props.names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </Field>
  );
}

function PatternField(props: { id: string; label: string; value: string; onInput: (v: string) => void }) {
  return (
    <Field id={props.id} label={props.label}>
      <input id={props.id} class="mono" value={props.value} onInput={(e) => props.onInput(inputValue(e))} />
    </Field>
  );
}

/**
 * The grants seen from one side, one row per other side (and exchange, for topic permissions): the other side's
 * link, what the grant is about (`what`, `cell`), the write and read patterns, and a Clear button.
 */
function GrantTable<T extends { user: string; vhost: string; write: string; read: string }>(props: {
  side: Side;
  label: string;
  what: string;
  rows: T[] | undefined;
  cell: (row: T) => ComponentChildren;
  rowKey: (row: T) => string;
  clearLabel: (row: T) => string;
  clear: (row: T) => Promise<unknown>;
  reload: () => void;
}) {
  const { side } = props;
  return (
    <table class="grid" aria-label={props.label}>
      <thead>
        <tr>
          <th>{side.kind === 'user' ? 'Virtual host' : 'User'}</th>
          <th>{props.what}</th>
          <th>Write</th>
          <th>Read</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {(props.rows ?? []).map((row) => (
          <tr key={props.rowKey(row)}>
            <td>
              <OtherLink side={side} name={otherOf(side, row)} />
            </td>
            {props.cell(row)}
            <td class="mono">{row.write}</td>
            <td class="mono">{row.read}</td>
            <td>
              <ActionButton label="Clear" ariaLabel={props.clearLabel(row)} run={() => props.clear(row)} onDone={props.reload} />
            </td>
          </tr>
        ))}
        {props.rows?.length === 0 && (
          <tr>
            <td class="empty" colSpan={5}>
              No {props.label.toLowerCase()}.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function PermissionsSection(props: { side: Side }) {
  const { side } = props;
  const path = apiPath([side.kind === 'user' ? 'users' : 'vhosts', side.name, 'permissions']);
  const live = useLive(() => api.get<Permission[]>(path), path);
  const names = useOtherNames(side);
  const [other, setOther] = useState('');
  const [configure, setConfigure] = useState('.*');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const set = async (): Promise<void> => {
    const { user, vhost } = pair(side, other);
    await api.put(apiPath(['permissions', vhost, user]), { configure, write, read });
  };
  return (
    <Section title="Permissions">
      <ErrorBox error={live.error} />
      <GrantTable
        side={side}
        label="Permissions"
        what="Configure"
        rows={live.data}
        cell={(p) => <td class="mono">{p.configure}</td>}
        rowKey={(p) => otherOf(side, p)}
        clearLabel={(p) => `Clear permissions of ${otherOf(side, p)}`}
        clear={(p) => api.del(apiPath(['permissions', p.vhost, p.user]))}
        reload={live.reload}
      />
      <ActionForm class="admin-inline-form" label="Set permission" done="Permission set." submit={set} onDone={live.reload}>
        <div class="row">
          <OtherSelect id={`perm-other-${side.kind}`} side={side} names={names} value={other} onChange={setOther} />
          <PatternField id="perm-configure" label="Configure regexp" value={configure} onInput={setConfigure} />
          <PatternField id="perm-write" label="Write regexp" value={write} onInput={setWrite} />
          <PatternField id="perm-read" label="Read regexp" value={read} onInput={setRead} />
        </div>
      </ActionForm>
    </Section>
  );
}

export function TopicPermissionsSection(props: { side: Side }) {
  const { side } = props;
  const path = apiPath([side.kind === 'user' ? 'users' : 'vhosts', side.name, 'topic-permissions']);
  const live = useLive(() => api.get<TopicPermission[]>(path), path);
  const names = useOtherNames(side);
  const [other, setOther] = useState('');
  const [exchange, setExchange] = useState('amq.topic');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const set = async (): Promise<void> => {
    const { user, vhost } = pair(side, other);
    await api.put(apiPath(['topic-permissions', vhost, user]), { exchange, write, read });
  };
  // The topic exchanges of the vhost in question, offered for the exchange field (any name may still be typed).
  const exchangeVhost = side.kind === 'vhost' ? side.name : other;
  const exchangesPath = apiPath(['exchanges', exchangeVhost], { columns: 'name,type' });
  const exchanges = useLive(
    () => (exchangeVhost === '' ? Promise.resolve([]) : api.get<Array<{ name: string; type: string }>>(exchangesPath)),
    exchangeVhost === '' ? '' : exchangesPath,
  );
  const topicExchanges = (exchanges.data ?? []).filter((x) => x.type === 'topic').map((x) => x.name);
  return (
    <Section title="Topic permissions">
      <ErrorBox error={live.error} />
      <GrantTable
        side={side}
        label="Topic permissions"
        what="Exchange"
        rows={live.data}
        cell={(t) => <td>{t.exchange === '' ? <span class="muted">(AMQP default)</span> : t.exchange}</td>}
        rowKey={(t) => `${otherOf(side, t)}\u0000${t.exchange}`}
        clearLabel={(t) => `Clear topic permission of ${otherOf(side, t)} on ${t.exchange}`}
        clear={(t) => api.del(apiPath(['topic-permissions', t.vhost, t.user, t.exchange]))}
        reload={live.reload}
      />
      <ActionForm class="admin-inline-form" label="Set topic permission" done="Topic permission set." submit={set} onDone={live.reload}>
        <div class="row">
          <OtherSelect id={`topic-other-${side.kind}`} side={side} names={names} value={other} onChange={setOther} />
          <Field id="topic-exchange" label="Exchange">
            <input id="topic-exchange" list="topic-exchanges" value={exchange} onInput={(e) => setExchange(inputValue(e))} />
            <datalist id="topic-exchanges">
              {topicExchanges.map((x) => (
                <option key={x} value={x} />
              ))}
            </datalist>
          </Field>
          <PatternField id="topic-write" label="Topic write regexp" value={write} onInput={setWrite} />
          <PatternField id="topic-read" label="Topic read regexp" value={read} onInput={setRead} />
        </div>
      </ActionForm>
    </Section>
  );
}

/** The limits each kind takes (src/management/routes/limits.ts). */
const LIMIT_NAMES = { vhost: ['max-connections', 'max-queues'], user: ['max-connections', 'max-channels'] } as const;

/** The limits of one vhost (/api/vhost-limits/{vh}) or one user (/api/user-limits/{u}). */
export function LimitsSection(props: { side: Side }) {
  const { side } = props;
  const base = side.kind === 'vhost' ? 'vhost-limits' : 'user-limits';
  const path = apiPath([base, side.name]);
  const live = useLive(() => api.get<Array<{ value: Record<string, number> }>>(path), path);
  const allowed = LIMIT_NAMES[side.kind];
  const [name, setName] = useState<string>(allowed[0]);
  const [value, setValue] = useState('');
  const set = async (): Promise<void> => {
    await api.put(apiPath([base, side.name, name]), { value: Number(value) });
  };
  const limits = Object.entries(live.data?.[0]?.value ?? {});
  return (
    <Section title="Limits">
      <ErrorBox error={live.error} />
      <table class="grid admin-narrow" aria-label="Limits">
        <thead>
          <tr>
            <th>Limit</th>
            <th class="num">Value</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {limits.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td class="num">{v < 0 ? 'unlimited' : String(v)}</td>
              <td>
                <ActionButton label={`Clear ${k}`} run={() => api.del(apiPath([base, side.name, k]))} onDone={live.reload} />
              </td>
            </tr>
          ))}
          {live.data !== undefined && limits.length === 0 && (
            <tr>
              <td class="empty" colSpan={3}>
                No limits.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <ActionForm class="admin-inline-form" label="Set limit" done="Limit set." submit={set} onDone={live.reload}>
        <div class="row">
          <Field id={`limit-name-${side.kind}`} label="Limit">
            <select id={`limit-name-${side.kind}`} value={name} onChange={(e) => setName((e.currentTarget as HTMLSelectElement).value)}>
              {allowed.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
          <Field id={`limit-value-${side.kind}`} label="Limit value" hint="a whole number; negative means unlimited">
            <input id={`limit-value-${side.kind}`} type="number" step="1" required value={value} onInput={(e) => setValue(inputValue(e))} />
          </Field>
        </div>
      </ActionForm>
    </Section>
  );
}
