/*
 * `#/tail?vhost=<vh>&exchange=<x>` or `#/tail?vhost=<vh>&queue=<q>`: a live tail (issue 15) of what is published to
 * an exchange or routed into a queue, as it happens, without consuming anything. The browser's EventSource reads
 * GET /api/leveret/{exchanges|queues}/{vh}/{name}/tail with the session cookie (a GET needs no X-Leveret-UI). The
 * list keeps the last N messages, newest first; Pause freezes the list while events keep counting; the server drops
 * events when this page falls behind, and says how many, which the page shows.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox, Field, inputValue, KeyValues, Notice, PageTitle, Section, Value } from '../components/ui';
import { apiPath, ApiError } from '../lib/api';
import { exchangeApiName, exchangeLabel } from '../lib/exchange-name';
import { num, timestamp } from '../lib/format';
import { href } from '../lib/router';
import type { PageProps } from '../routes';

interface TailEvent {
  readonly at: number;
  readonly exchange: string;
  readonly routing_key: string;
  readonly properties: Record<string, unknown> | [];
  readonly payload: string;
  readonly payload_encoding: string;
  readonly payload_bytes: number;
  readonly routed?: boolean;
}

interface Row extends TailEvent {
  readonly n: number;
}

type Status = 'stopped' | 'connecting' | 'live' | 'ended';

const KEEP = [50, 200, 1000] as const;
const PREVIEW = 120;
/** The list is redrawn at most this often, however fast messages come. */
const RENDER_MS = 250;

export default function TailPage(props: PageProps) {
  const { vhost, exchange, queue } = props.route.query;
  if (vhost === undefined || (exchange === undefined) === (queue === undefined)) {
    return <Notice>Open a live tail from an exchange's or a queue's page (#/tail?vhost=…&amp;exchange=… or &amp;queue=…).</Notice>;
  }
  const kind = exchange !== undefined ? 'exchange' : 'queue';
  // The default exchange travels as 'amq.default' (an empty query value would be left out of the link).
  const name = exchange !== undefined ? (exchange === 'amq.default' ? '' : exchange) : (queue as string);
  return <Tail key={`${vhost}\u0000${kind}\u0000${name}`} vhost={vhost} kind={kind} name={name} />;
}

function Tail(props: { vhost: string; kind: 'exchange' | 'queue'; name: string }) {
  const { vhost, kind, name } = props;
  const label = kind === 'exchange' ? exchangeLabel(name) : name;
  const [status, setStatus] = useState<Status>('stopped');
  const [paused, setPaused] = useState(false);
  const [keep, setKeep] = useState<number>(200);
  const [error, setError] = useState<unknown>(undefined);
  const [, setTick] = useState(0);
  const rows = useRef<Row[]>([]);
  const shown = useRef<Row[]>([]);
  const counts = useRef({ received: 0, dropped: 0 });
  const source = useRef<EventSource | undefined>(undefined);
  const dirty = useRef(false);
  const keepRef = useRef(keep);
  keepRef.current = keep;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const url = apiPath(['leveret', kind === 'exchange' ? 'exchanges' : 'queues', vhost, kind === 'exchange' ? exchangeApiName(name) : name, 'tail']);

  const stop = (next: Status = 'stopped'): void => {
    source.current?.close();
    source.current = undefined;
    setStatus(next);
  };

  const start = (): void => {
    stop('connecting');
    setError(undefined);
    const es = new EventSource(url);
    source.current = es;
    es.addEventListener('open', () => setStatus('live'));
    es.addEventListener('message', (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as TailEvent;
      const list = rows.current;
      list.unshift({ ...event, n: ++counts.current.received });
      if (list.length > keepRef.current) list.length = keepRef.current;
      dirty.current = true;
    });
    es.addEventListener('dropped', (e) => {
      counts.current.dropped += (JSON.parse((e as MessageEvent<string>).data) as { count: number }).count;
      dirty.current = true;
    });
    es.addEventListener('end', (e) => {
      setError(new Error(`The tail ended: ${(JSON.parse((e as MessageEvent<string>).data) as { reason: string }).reason}`));
      stop('ended');
    });
    es.addEventListener('error', () => {
      // A refusal (no 200) closes the EventSource without telling why: ask once with fetch for the JSON error.
      if (es.readyState !== EventSource.CLOSED || source.current !== es) return;
      stop('stopped');
      void explainRefusal(url).then(setError);
    });
  };

  useEffect(() => {
    const timer = setInterval(() => {
      if (!dirty.current) return;
      dirty.current = false;
      if (!pausedRef.current) shown.current = rows.current.slice();
      setTick((t) => t + 1);
    }, RENDER_MS);
    return () => {
      clearInterval(timer);
      source.current?.close();
    };
  }, []);

  const clear = (): void => {
    rows.current = [];
    shown.current = [];
    counts.current = { received: 0, dropped: 0 };
    setTick((t) => t + 1);
  };

  const togglePause = (): void => {
    // Resuming shows at once what came meanwhile.
    if (paused) shown.current = rows.current.slice();
    setPaused(!paused);
  };

  const running = status === 'connecting' || status === 'live';
  const detailHref = href([kind === 'exchange' ? 'exchanges' : 'queues', vhost, name]);
  return (
    <div>
      <PageTitle kind="Live tail of" title={`${kind} ${label}`}>
        <span class="muted">in virtual host {vhost}</span>
        <a href={detailHref}>Back to the {kind}</a>
      </PageTitle>
      <Section title="Tail">
        <div class="tail-controls row">
          {running ? (
            <button type="button" onClick={() => stop()}>
              Stop
            </button>
          ) : (
            <button type="button" class="primary" onClick={start}>
              Start
            </button>
          )}
          <button type="button" onClick={togglePause} aria-pressed={paused}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
          <Field id="tail-keep" label="Keep last">
            <select id="tail-keep" value={String(keep)} onChange={(e) => setKeep(Number(inputValue(e)))}>
              {KEEP.map((k) => (
                <option key={k} value={String(k)}>
                  {k} messages
                </option>
              ))}
            </select>
          </Field>
        </div>
        <p class="tail-status" role="status">
          <span class={`tail-state tail-${status}`}>{status === 'live' ? (paused ? 'live, paused' : 'live') : status}</span> ·{' '}
          <span class="tail-received">{num(counts.current.received)} received</span> ·{' '}
          <span class="tail-dropped">{num(counts.current.dropped)} dropped</span>
        </p>
        <ErrorBox error={error} />
        <p class="muted">
          Nothing is consumed: consumers still get every message. When this page falls behind, the broker drops events for it
          (counted above) and never slows publishers. Payloads are cut to 4096 bytes.
        </p>
      </Section>
      <Section title={`Messages (newest first, ${num(shown.current.length)} shown)`}>
        {shown.current.length === 0 ? (
          <p class="muted">{running ? 'Waiting for messages…' : 'Start the tail to see messages as they pass.'}</p>
        ) : (
          <ol class="tail-list">
            {shown.current.map((row) => (
              <TailRow key={row.n} row={row} kind={kind} />
            ))}
          </ol>
        )}
      </Section>
    </div>
  );
}

function TailRow(props: { row: Row; kind: 'exchange' | 'queue' }) {
  const { row } = props;
  const { headers, ...properties } = (Array.isArray(row.properties) ? {} : row.properties) as Record<string, unknown>;
  const preview = row.payload.length > PREVIEW ? `${row.payload.slice(0, PREVIEW)}…` : row.payload;
  return (
    <li class="tail-row" aria-label={`Message ${row.n}`}>
      <details>
        <summary>
          <span class="tail-time" title={timestamp(row.at)}>{clock(row.at)}</span> <code class="tail-key">{row.routing_key === '' ? '(empty key)' : row.routing_key}</code>
          {props.kind === 'exchange' && row.routed === false && <span class="tail-unrouted"> unroutable</span>}{' '}
          <span class="tail-preview">{row.payload_encoding === 'base64' ? `(base64) ${preview}` : preview}</span>
        </summary>
        <KeyValues
          rows={[
            ['Exchange', row.exchange === '' ? '(AMQP default)' : row.exchange],
            ['Routing key', row.routing_key],
            ['Properties', Object.keys(properties).length === 0 ? <span class="muted">none</span> : <Value value={properties} />],
            ['Headers', headers === undefined ? <span class="muted">none</span> : <Value value={headers} />],
            ['Payload', `${num(row.payload_bytes)} bytes, shown as ${row.payload_encoding}`],
          ]}
        />
        <pre class="q-payload">{row.payload}</pre>
      </details>
    </li>
  );
}

/** The time of day with milliseconds (UTC), as a tail shows each message: 07:04:16.123. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** Why the tail was refused: the API's JSON error, read with fetch (an answer of 200 is closed at once). */
async function explainRefusal(url: string): Promise<unknown> {
  const controller = new AbortController();
  try {
    const response = await fetch(url, { credentials: 'same-origin', signal: controller.signal });
    if (response.ok) {
      controller.abort();
      return new Error('The connection to the tail was lost.');
    }
    const body = (await response.json().catch(() => ({}))) as { error?: string; reason?: string };
    return new ApiError(response.status, body.error ?? response.statusText, body.reason ?? '');
  } catch (err) {
    return err;
  }
}
