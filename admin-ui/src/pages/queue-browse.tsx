/*
 * #/queues/<vhost>/<name>?view=browse: the message browser and the dead-letter re-drive (Leveret's own,
 * GET /api/leveret/queues/{vh}/{q}/messages and POST .../redrive). The browser reads the queue without taking
 * anything; its search, offset and page size live in the URL (?search=&offset=&limit=). A row opens to show the
 * whole message. The re-drive form always runs a dry run first, shows the count, then asks before it moves.
 */
import { useState } from 'preact/hooks';
import { ActionButton, ErrorBox, Field, inputValue, KeyValues, PageTitle, Section, Value } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { num } from '../lib/format';
import { useLive } from '../lib/live';
import { href, setQuery } from '../lib/router';

interface BrowsedMessage {
  readonly position: number;
  readonly routing_key: string;
  readonly exchange: string;
  readonly redelivered: boolean;
  readonly properties: Record<string, unknown> | unknown[];
  readonly payload: string;
  readonly payload_encoding: string;
  readonly payload_bytes: number;
}

interface BrowseAnswer {
  readonly total: number;
  readonly items: BrowsedMessage[];
  readonly scanned?: number;
  readonly truncated?: boolean;
}

interface RedriveAnswer {
  readonly matched: number;
  readonly moved: number;
  readonly dry_run: boolean;
  readonly skipped: number;
  readonly unroutable: number;
  readonly scanned: number;
}

const PAGE_SIZES = [20, 50, 100, 500];
/** Payloads are cut to this many bytes in the list; an opened row shows what came (up to it). */
const PREVIEW_BYTES = 4096;

function headersOf(m: BrowsedMessage): Record<string, unknown> {
  const props = Array.isArray(m.properties) ? {} : m.properties;
  return (props.headers ?? {}) as Record<string, unknown>;
}

/** The reason of the message's most recent death (the first x-death entry), '' when it has none. */
function deathReason(m: BrowsedMessage): string {
  const deaths = headersOf(m)['x-death'];
  const first = Array.isArray(deaths) ? (deaths[0] as { reason?: unknown; queue?: unknown } | undefined) : undefined;
  return first === undefined ? '' : `${String(first.reason ?? '')} in ${String(first.queue ?? '')}`;
}

function preview(m: BrowsedMessage): string {
  const text = m.payload_encoding === 'string' ? m.payload : `(base64) ${m.payload}`;
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

function MessageRow(props: { m: BrowsedMessage }) {
  const { m } = props;
  const [open, setOpen] = useState(false);
  const { headers, ...properties } = (Array.isArray(m.properties) ? {} : m.properties) as Record<string, unknown>;
  return (
    <>
      <tr class="mb-row">
        <td class="num">
          <button type="button" class="link" aria-expanded={open} aria-label={`${num(m.position)} (the whole message)`} onClick={() => setOpen(!open)}>
            <span aria-hidden="true">{open ? '▾' : '▸'}</span> {num(m.position)}
          </button>
        </td>
        <td>{m.routing_key}</td>
        <td>{m.exchange === '' ? '(AMQP default)' : m.exchange}</td>
        <td>{m.redelivered ? 'yes' : 'no'}</td>
        <td>{deathReason(m)}</td>
        <td class="mb-preview">{preview(m)}</td>
      </tr>
      {open && (
        <tr class="mb-detail">
          <td colSpan={6}>
            <KeyValues
              rows={[
                ['Properties', Object.keys(properties).length === 0 ? <span class="muted">none</span> : <Value value={properties} />],
                ['Headers', headers === undefined ? <span class="muted">none</span> : <Value value={headers} />],
                ['Payload', `${num(m.payload_bytes)} bytes, encoded as ${m.payload_encoding}`],
              ]}
            />
            <pre class="q-payload">{m.payload}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

function SearchForm(props: { search: string }) {
  const [text, setText] = useState(props.search);
  const submit = (e: Event): void => {
    e.preventDefault();
    setQuery({ search: text.trim(), offset: undefined });
  };
  return (
    <form class="form mb-search" role="search" onSubmit={submit}>
      <Field id="mb-search" label="Search" hint="Routing key, exchange, a property or header (x-death too) or body text; not case-sensitive">
        <input id="mb-search" type="search" value={text} onInput={(e) => setText(inputValue(e))} />
      </Field>
      <div class="form-actions">
        <button type="submit">Search</button>
      </div>
    </form>
  );
}

function Browser(props: { vhost: string; name: string; query: Readonly<Record<string, string>>; version: number }) {
  const search = props.query.search ?? '';
  const offset = Math.max(0, Number(props.query.offset ?? 0) || 0);
  const limit = PAGE_SIZES.includes(Number(props.query.limit)) ? Number(props.query.limit) : 50;
  const path = apiPath(['leveret', 'queues', props.vhost, props.name, 'messages'], { offset, limit, search, truncate: PREVIEW_BYTES });
  const live = useLive(() => api.get<BrowseAnswer>(path), `${path}#${props.version}`);
  const page = live.data;
  return (
    <Section title="Messages">
      <SearchForm key={search} search={search} />
      <ErrorBox error={live.error} />
      {page === undefined && live.loading && <p class="muted">Loading…</p>}
      {page !== undefined && (
        <>
          <p class="muted" role="status">
            {search === '' ? `${num(page.total)} ready messages` : `${num(page.total)} matching messages`}
            {page.scanned !== undefined && ` (${num(page.scanned)} looked at${page.truncated === true ? '; the search stopped early, narrow it to see further' : ''})`}
          </p>
          {page.items.length === 0 ? (
            <p class="notice">{search === '' ? 'No ready messages here.' : 'Nothing matches.'}</p>
          ) : (
            <table class="grid mb-table" aria-label="Messages">
              <thead>
                <tr>
                  <th>Position</th>
                  <th>Routing key</th>
                  <th>Exchange</th>
                  <th>Redelivered</th>
                  <th>Dead-lettered</th>
                  <th>Payload</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((m) => (
                  <MessageRow key={`${m.position}:${m.routing_key}:${m.payload_bytes}`} m={m} />
                ))}
              </tbody>
            </table>
          )}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={offset === 0} onClick={() => setQuery({ offset: Math.max(0, offset - limit) || undefined })}>
              Previous
            </button>
            <span>
              {page.total === 0 ? '0' : `${num(offset + 1)}–${num(Math.min(offset + limit, page.total))}`} of {num(page.total)}
            </span>
            <button type="button" disabled={offset + limit >= page.total} onClick={() => setQuery({ offset: offset + limit })}>
              Next
            </button>
            <label class="inline">
              Per page{' '}
              <select value={String(limit)} onChange={(e) => setQuery({ limit: inputValue(e), offset: undefined })}>
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </nav>
        </>
      )}
    </Section>
  );
}

function RedriveForm(props: { vhost: string; name: string; search: string; onMoved: () => void }) {
  const [search, setSearch] = useState(props.search);
  const [limit, setLimit] = useState('');
  const [target, setTarget] = useState<'origin' | 'exchange'>('origin');
  const [exchange, setExchange] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [rate, setRate] = useState('');
  const [dry, setDry] = useState<RedriveAnswer | undefined>(undefined);
  const [done, setDone] = useState<RedriveAnswer | undefined>(undefined);
  const change = (set: (v: string) => void) => (e: Event) => {
    set(inputValue(e));
    setDry(undefined);
  };
  const body = (dryRun: boolean): Record<string, unknown> => {
    const b: Record<string, unknown> = { dry_run: dryRun };
    if (search.trim() !== '') b.search = search.trim();
    if (limit.trim() !== '') b.limit = Number(limit);
    if (target === 'exchange') {
      b.to_exchange = exchange === '' ? 'amq.default' : exchange;
      if (routingKey !== '') b.routing_key = routingKey;
    }
    if (rate.trim() !== '') b.rate = Number(rate);
    return b;
  };
  const path = apiPath(['leveret', 'queues', props.vhost, props.name, 'redrive']);
  return (
    <Section title="Re-drive dead letters">
      <form class="form mb-redrive" onSubmit={(e) => e.preventDefault()}>
        <div class="row">
          <Field id="rd-search" label="Only messages matching" hint="Empty: every message">
            <input id="rd-search" value={search} onInput={change(setSearch)} />
          </Field>
          <Field id="rd-limit" label="At most">
            <input id="rd-limit" type="number" min="1" value={limit} onInput={change(setLimit)} />
          </Field>
          <Field id="rd-rate" label="Messages a second" hint="Empty: as fast as it goes">
            <input id="rd-rate" type="number" min="1" value={rate} onInput={change(setRate)} />
          </Field>
        </div>
        <fieldset class="row">
          <legend>Send them</legend>
          <label class="inline">
            <input type="radio" name="rd-target" checked={target === 'origin'} onChange={() => (setTarget('origin'), setDry(undefined))} /> back to where they came
            from (the exchange and routing key of their x-death)
          </label>
          <label class="inline">
            <input type="radio" name="rd-target" checked={target === 'exchange'} onChange={() => (setTarget('exchange'), setDry(undefined))} /> to an exchange
          </label>
          {target === 'exchange' && (
            <>
              <Field id="rd-exchange" label="Exchange" hint="Empty: the default exchange">
                <input id="rd-exchange" value={exchange} onInput={change(setExchange)} />
              </Field>
              <Field id="rd-key" label="Routing key" hint="Empty: the x-death one, else the message's own">
                <input id="rd-key" value={routingKey} onInput={change(setRoutingKey)} />
              </Field>
            </>
          )}
        </fieldset>
        <div class="form-actions">
          <ActionButton label="Dry run" run={async () => (setDone(undefined), setDry(await api.post<RedriveAnswer>(path, body(true))))} />
          {dry !== undefined && (
            <ActionButton
              label={`Re-drive ${num(dry.matched)} messages`}
              disabled={dry.matched === 0}
              confirm={`Move ${dry.matched} messages out of '${props.name}'?`}
              run={async () => (setDone(await api.post<RedriveAnswer>(path, body(false))), setDry(undefined), props.onMoved())}
            />
          )}
        </div>
        {dry !== undefined && (
          <p class="notice" role="status">
            {num(dry.matched)} messages would move; {num(dry.skipped)} matching ones would stay (no x-death, or a target that is missing or not
            yours to write to).
          </p>
        )}
        {done !== undefined && (
          <p class="ok" role="status">
            Moved {num(done.moved)} of {num(done.matched)} messages
            {done.unroutable > 0 ? `; ${num(done.unroutable)} stayed because their copy would reach no queue` : ''}.
          </p>
        )}
      </form>
    </Section>
  );
}

export function QueueBrowse(props: { vhost: string; name: string; query: Readonly<Record<string, string>> }) {
  const { vhost, name } = props;
  // Bumped by a re-drive, so the list shows what is left at once.
  const [version, setVersion] = useState(0);
  return (
    <>
      <PageTitle kind="Messages of queue" title={name}>
        <span class="muted">in virtual host {vhost}, read without taking them</span>
        <a href={href(['queues', vhost, name])}>Back to the queue</a>
      </PageTitle>
      <Browser vhost={vhost} name={name} query={props.query} version={version} />
      <RedriveForm key={props.query.search ?? ''} vhost={vhost} name={name} search={props.query.search ?? ''} onMoved={() => setVersion((v) => v + 1)} />
    </>
  );
}
