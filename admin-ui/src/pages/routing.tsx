/*
 * `#/routing?vhost=/&exchange=orders&key=eu.new`: "where would this message go?" and the topology of a vhost. The
 * form asks POST /api/leveret/route (nothing is published) and shows each queue reached with the path to it, hop by
 * hop, linked to the exchanges and queues. The exchange page links here with its exchange filled in. Below, the
 * vhost's topology (routing-topology.tsx).
 */
import { useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { exchangeHref, exchangeLabel, queueHref } from '../lib/exchange-name';
import { setQuery } from '../lib/router';
import { ArgumentsEditor, argumentsOf, type ArgRow } from '../components/arguments';
import { ActionForm, Field, inputValue, Notice, PageTitle, Section, Value } from '../components/ui';
import { useVhostNames, VhostField } from '../components/vhost-select';
import type { PageProps } from '../routes';
import { TopologyView } from './routing-topology';

interface Hop {
  exchange: string;
  exchange_type: string;
  via: 'binding' | 'alternate-exchange' | 'default';
  binding: { routing_key: string; arguments: Record<string, unknown> } | null;
  destination: string;
  destination_type: 'queue' | 'exchange';
}
interface RoutePath {
  routing_key: string;
  path: Hop[];
}
export interface RoutePreview {
  vhost: string;
  exchange: string;
  routing_key: string;
  routing_keys: string[];
  queues: { queue: string; routing_key: string; path: Hop[]; paths: RoutePath[] }[];
  unroutable: boolean;
  exchanges_visited: string[];
  held_ms?: number;
  refused?: string;
}

/** The header rows as the API's headers; CC and BCC (lists of routing keys) are written as comma-separated keys. */
function headersOf(rows: readonly ArgRow[]): Record<string, unknown> {
  const table: Record<string, unknown> = argumentsOf(rows);
  for (const name of ['CC', 'BCC']) {
    const v = table[name];
    if (typeof v === 'string') table[name] = v.split(',').map((k) => k.trim()).filter((k) => k !== '');
  }
  return table;
}

const SENDER_KEYS = [
  { name: 'CC', type: 'string', label: 'CC keys' },
  { name: 'BCC', type: 'string', label: 'BCC keys' },
  { name: 'x-delay', type: 'number', label: 'x-delay', initial: '1000' },
] as const;

export default function RoutingPage(props: PageProps) {
  const query = props.route.query;
  const names = useVhostNames();
  const vhost = query.vhost ?? names[0] ?? '/';
  return (
    <div>
      <PageTitle title="Routing">
        <span class="muted">where a message would go, and how a virtual host is wired</span>
      </PageTitle>
      <Section title="Where would it go?">
        <RouteForm key={vhost} vhost={vhost} names={names} exchange={query.exchange ?? ''} routingKey={query.key ?? ''} />
      </Section>
      <Section title={`Topology of ${vhost}`}>
        <TopologyView key={vhost} vhost={vhost} filter={query.filter ?? ''} regex={query.regex === 'true'} />
      </Section>
    </div>
  );
}

function RouteForm(props: { vhost: string; names: readonly string[]; exchange: string; routingKey: string }) {
  const [exchange, setExchange] = useState(props.exchange);
  const [routingKey, setRoutingKey] = useState(props.routingKey);
  const [headers, setHeaders] = useState<ArgRow[]>([]);
  const [result, setResult] = useState<RoutePreview | undefined>(undefined);

  const submit = async (): Promise<void> => {
    setResult(undefined);
    const table = headersOf(headers);
    setQuery({ exchange, key: routingKey }, { replace: true });
    setResult(
      await api.post<RoutePreview>(apiPath(['leveret', 'route']), {
        vhost: props.vhost,
        exchange: exchange === '' ? 'amq.default' : exchange,
        routing_key: routingKey,
        headers: table,
      }),
    );
  };

  return (
    <>
      <ActionForm submit={submit} label="Show the route" class="route-form">
        <VhostField id="route-vhost" value={props.vhost} names={props.names} onChange={(v) => setQuery({ vhost: v, exchange: undefined, filter: undefined })} />
        <Field id="route-exchange" label="Exchange" hint="empty or amq.default: the default exchange">
          <input id="route-exchange" value={exchange} onInput={(e) => setExchange(inputValue(e))} />
        </Field>
        <Field id="route-key" label="Routing key">
          <input id="route-key" value={routingKey} onInput={(e) => setRoutingKey(inputValue(e))} />
        </Field>
        <ArgumentsEditor legend="Headers" addLabel="Add header" rows={headers} onChange={setHeaders} known={SENDER_KEYS} />
        <small class="hint">CC and BCC: routing keys separated by commas.</small>
      </ActionForm>
      {result !== undefined && <RouteResult result={result} />}
    </>
  );
}

function HopLabel(props: { hop: Hop }) {
  const { hop } = props;
  if (hop.via === 'alternate-exchange') return <span class="route-via">nothing matched: alternate exchange</span>;
  if (hop.via === 'default') return <span class="route-via">default exchange, key = queue name</span>;
  const b = hop.binding;
  return (
    <span class="route-via">
      binding {b === null || b.routing_key === '' ? <span class="muted">(empty key)</span> : <code>{b.routing_key}</code>}
      {b !== null && Object.keys(b.arguments).length > 0 && (
        <>
          {' '}
          <Value value={b.arguments} />
        </>
      )}
    </span>
  );
}

/** One path as a chain: exchange —binding→ exchange —binding→ queue. */
function PathChain(props: { vhost: string; path: Hop[] }) {
  const { vhost, path } = props;
  const last = path[path.length - 1];
  return (
    <ol class="route-chain">
      {path.map((hop, i) => (
        <li key={i}>
          <a href={exchangeHref(vhost, hop.exchange)}>{exchangeLabel(hop.exchange)}</a> <span class="muted">({hop.exchange_type})</span>{' '}
          <HopLabel hop={hop} /> <span aria-hidden="true">→</span>
        </li>
      ))}
      {last !== undefined && (
        <li>
          queue <a href={queueHref(vhost, last.destination)}>{last.destination}</a>
        </li>
      )}
    </ol>
  );
}

export function RouteResult(props: { result: RoutePreview }) {
  const r = props.result;
  const vhost = r.vhost;
  return (
    <div class="route-result" aria-live="polite">
      {r.refused !== undefined ? (
        <Notice>A publish to this exchange is refused: {r.refused}</Notice>
      ) : r.unroutable ? (
        <Notice>Unroutable: no queue would get this message (a mandatory publish would be returned).</Notice>
      ) : (
        <p class="route-summary">
          Reaches {r.queues.length} {r.queues.length === 1 ? 'queue' : 'queues'}
          {r.routing_keys.length > 1 && <> with the keys {r.routing_keys.join(', ')}</>}.
        </p>
      )}
      {r.held_ms !== undefined && <Notice>An x-delayed-message exchange: held for {r.held_ms} ms, then routed as shown.</Notice>}
      {r.exchanges_visited.length > 0 && (
        <p class="muted">Exchanges visited: {r.exchanges_visited.map(exchangeLabel).join(', ')}</p>
      )}
      <ul class="route-queues">
        {r.queues.map((q) => (
          <li key={q.queue} class="route-queue">
            <strong>
              <a href={queueHref(vhost, q.queue)}>{q.queue}</a>
            </strong>
            {q.paths.length > 1 && <span class="muted"> ({q.paths.length} paths)</span>}
            {q.paths.map((p, i) => (
              <div key={i} class="route-path">
                {r.routing_keys.length > 1 && <span class="muted">key {p.routing_key}: </span>}
                <PathChain vhost={vhost} path={p.path} />
              </div>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
