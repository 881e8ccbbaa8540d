/*
 * The bindings of one end: an exchange as source (where it routes to), an exchange or a queue as destination (what
 * routes to it). A table with unbind, and a form that adds a binding from or to that end. The exchange page shows it
 * twice (source and destination), the queue page once (destination queue).
 *
 * API: GET /api/exchanges/{vh}/{x}/bindings/source|destination, /api/queues/{vh}/{q}/bindings;
 * POST /api/bindings/{vh}/e/{source}/{q|e}/{destination}; DELETE .../{properties_key}.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, type Page } from '../lib/api';
import { exchangeApiName, exchangeHref, exchangeLabel, queueHref } from '../lib/exchange-name';
import { useLive } from '../lib/live';
import { ArgumentsEditor, argumentsOf, type ArgRow, type KnownArgument } from './arguments';
import { ActionButton, ActionForm, ErrorBox, Field, inputValue, Section, Value } from './ui';

export type EndType = 'queue' | 'exchange';

export interface Binding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: EndType;
  routing_key: string;
  arguments: Record<string, unknown>;
  properties_key: string;
}

export interface BindingsProps {
  readonly vhost: string;
  /** List the bindings of this exchange as their source... */
  readonly source?: string;
  /** ...or of this queue or exchange as their destination. */
  readonly destination?: { readonly type: EndType; readonly name: string };
  readonly title?: string;
}

/** The binding arguments the broker acts on: the headers exchange's match mode. */
const KNOWN_BINDING_ARGUMENTS: readonly KnownArgument[] = [{ name: 'x-match', type: 'string', label: 'x-match (headers: all or any)', initial: 'all' }];

let instances = 0;

function listPath(props: BindingsProps): string {
  if (props.source !== undefined) return apiPath(['exchanges', props.vhost, exchangeApiName(props.source), 'bindings', 'source']);
  const d = props.destination;
  if (d === undefined) throw new Error('Bindings needs a source or a destination');
  return d.type === 'queue'
    ? apiPath(['queues', props.vhost, d.name, 'bindings'])
    : apiPath(['exchanges', props.vhost, exchangeApiName(d.name), 'bindings', 'destination']);
}

/** The API path of the bindings between two ends (POST adds one; + properties_key names one). */
function pairPath(vhost: string, source: string, type: EndType, destination: string, propertiesKey?: string): string {
  const segments = ['bindings', vhost, 'e', exchangeApiName(source), type === 'queue' ? 'q' : 'e', type === 'queue' ? destination : exchangeApiName(destination)];
  return apiPath(propertiesKey === undefined ? segments : [...segments, propertiesKey]);
}

function EndLink(props: { vhost: string; type: EndType; name: string }) {
  return (
    <span>
      <span class="muted">{props.type} </span>
      <a href={props.type === 'queue' ? queueHref(props.vhost, props.name) : exchangeHref(props.vhost, props.name)}>{props.type === 'exchange' ? exchangeLabel(props.name) : props.name}</a>
    </span>
  );
}

export function Bindings(props: BindingsProps) {
  const path = listPath(props);
  const live = useLive(() => api.get<Binding[]>(path), path);
  const bySource = props.source !== undefined;
  const title = props.title ?? (bySource ? 'Bindings from this exchange' : `Bindings to this ${props.destination?.type ?? ''}`);
  const rows = live.data ?? [];
  // The default exchange's bindings are implicit (one per queue): the broker neither adds nor removes them.
  const canAdd = props.source !== '';
  return (
    <Section title={title}>
      <ErrorBox error={live.error} />
      <table class="grid bind-table" aria-label={title}>
        <thead>
          <tr>
            <th>{bySource ? 'To' : 'From'}</th>
            <th>Routing key</th>
            <th>Arguments</th>
            <th>
              <span class="bind-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((b) => {
            return (
              <tr key={`${b.source}\u0000${b.destination_type}\u0000${b.destination}\u0000${b.properties_key}`}>
                <td>{bySource ? <EndLink vhost={b.vhost} type={b.destination_type} name={b.destination} /> : <EndLink vhost={b.vhost} type="exchange" name={b.source} />}</td>
                <td class="mono">{b.routing_key === '' ? <span class="muted">(empty)</span> : b.routing_key}</td>
                <td>{Object.keys(b.arguments).length === 0 ? <span class="muted">—</span> : <Value value={b.arguments} />}</td>
                <td>
                  {b.source === '' ? (
                    <span class="muted">implicit</span>
                  ) : (
                    <ActionButton
                      label="Unbind"
                      ariaLabel={`Unbind ${bySource ? `${b.destination_type} ${b.destination}` : `exchange ${b.source}`}, routing key ${b.routing_key === '' ? '(empty)' : b.routing_key}`}
                      run={() => api.del(pairPath(b.vhost, b.source, b.destination_type, b.destination, b.properties_key))}
                      onDone={live.reload}
                    />
                  )}
                </td>
              </tr>
            );
          })}
          {live.data !== undefined && rows.length === 0 && (
            <tr>
              <td class="empty" colSpan={4}>
                No bindings.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {canAdd && <AddBinding {...props} onDone={live.reload} />}
    </Section>
  );
}

/**
 * Names of the vhost's queues or exchanges that contain what the user typed, for the input's datalist: one filtered
 * page of 20 from the API (asked 250 ms after typing stops), so a vhost with 10,000 queues costs no more than one.
 */
function useSuggestions(vhost: string, type: EndType, text: string): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    let current = true;
    const t = setTimeout(() => {
      const path = apiPath([type === 'queue' ? 'queues' : 'exchanges', vhost], { columns: 'name', pagination: 'true', page: 1, page_size: 20, name: text });
      api.get<Page<{ name: string }>>(path).then(
        (page) => current && setNames(page.items.map((i) => i.name).filter((n) => n !== '')),
        () => current && setNames([]),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(t);
    };
  }, [vhost, type, text]);
  return names;
}

function AddBinding(props: BindingsProps & { onDone: () => void }) {
  const [id] = useState(() => `bind${++instances}`);
  const bySource = props.source !== undefined;
  const [otherType, setOtherType] = useState<EndType>('queue');
  const [other, setOther] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [args, setArgs] = useState<ArgRow[]>([]);
  const suggestions = useSuggestions(props.vhost, bySource ? otherType : 'exchange', other);
  const group = bySource ? 'Add a binding from this exchange' : `Add a binding to this ${props.destination?.type ?? ''}`;

  const submit = async (): Promise<void> => {
    const body = { routing_key: routingKey, arguments: argumentsOf(args) };
    if (props.source !== undefined) {
      if (other === '') throw new Error(`Name the destination ${otherType}.`);
      await api.post(pairPath(props.vhost, props.source, otherType, other), body);
    } else if (props.destination !== undefined) {
      // An empty source is the default exchange, which takes no bindings: the API would refuse it.
      if (other === '') throw new Error('Name the source exchange.');
      await api.post(pairPath(props.vhost, other, props.destination.type, props.destination.name), body);
    }
  };

  return (
    <div role="group" aria-label={group} class="bind-add">
      <h3>{group}</h3>
      <ActionForm submit={submit} label="Bind" done="Bound." onDone={props.onDone}>
        <div class="row">
          {bySource && (
            <Field id={`${id}-type`} label="Destination type">
              <select id={`${id}-type`} value={otherType} onChange={(e) => setOtherType(inputValue(e) as EndType)}>
                <option value="queue">Queue</option>
                <option value="exchange">Exchange</option>
              </select>
            </Field>
          )}
          <Field id={`${id}-other`} label={bySource ? `Destination ${otherType}` : 'Source exchange'}>
            <input id={`${id}-other`} list={`${id}-names`} autocomplete="off" value={other} onInput={(e) => setOther(inputValue(e))} />
            <datalist id={`${id}-names`}>
              {suggestions.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </Field>
          <Field id={`${id}-rk`} label="Routing key">
            <input id={`${id}-rk`} value={routingKey} onInput={(e) => setRoutingKey(inputValue(e))} />
          </Field>
        </div>
        <ArgumentsEditor rows={args} onChange={setArgs} known={KNOWN_BINDING_ARGUMENTS} legend="Binding arguments" />
      </ActionForm>
    </div>
  );
}
