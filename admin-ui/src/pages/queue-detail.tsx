/*
 * #/queues/<vhost>/<name>: one queue's facts, charts over a range kept in the URL (?range=), consumers, bindings,
 * and the actions: get messages, publish (through the default exchange), purge, delete.
 */
import { useState } from 'preact/hooks';
import { Chart, chartFromDetails, RangeSelect, rangeOf, rangeQuery } from '../components/chart';
import { PublishForm } from '../components/publish-form';
import { ActionButton, Checkbox, ErrorBox, KeyValues, PageTitle, Section, Value } from '../components/ui';
import { api, apiPath, ApiError } from '../lib/api';
import { bytes, num, timestamp } from '../lib/format';
import { useLive } from '../lib/live';
import { href, navigate } from '../lib/router';
import { Features, type QueueJson } from './queue-common';
import { Bindings } from '../components/bindings';
import { QueueConsumers, type ConsumerDetail } from './queue-tables';
import { GetMessages } from './queue-get';
import { HealthBlock, type QueueHealthJson } from './queue-health';

interface QueueDetailJson extends QueueJson {
  readonly node?: string;
  readonly consumers?: number;
  readonly consumer_capacity?: number;
  readonly memory?: number;
  readonly message_bytes?: number;
  readonly message_bytes_ready?: number;
  readonly message_bytes_unacknowledged?: number;
  readonly effective_policy_definition?: unknown;
  readonly single_active_consumer_tag?: string | null;
  readonly exclusive_consumer_tag?: string | null;
  readonly head_message_timestamp?: number | null;
  readonly idle_since?: string;
  readonly consumer_details?: ConsumerDetail[];
  readonly leveret_health?: QueueHealthJson;
}

const LENGTH_SERIES = [
  ['messages', 'Total'],
  ['messages_ready', 'Ready'],
  ['messages_unacknowledged', 'Unacked'],
] as const;

const RATE_SERIES = [
  ['publish', 'Publish'],
  ['deliver_get', 'Deliver / get'],
  ['ack', 'Ack'],
  ['redeliver', 'Redeliver'],
] as const;

function Arguments(props: { args: Record<string, unknown> | undefined }) {
  const entries = Object.entries(props.args ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="q-plain">
      {entries.map(([k, v]) => (
        <li key={k}>
          <code>{k}</code>: <Value value={v} />
        </li>
      ))}
    </ul>
  );
}

/** Ready / unacked / total as a small table: messages and their bytes. */
function Counts(props: { q: QueueDetailJson }) {
  const q = props.q;
  return (
    <table class="grid q-counts" aria-label="Messages in the queue">
      <thead>
        <tr>
          <td />
          <th scope="col" class="num">
            Ready
          </th>
          <th scope="col" class="num">
            Unacked
          </th>
          <th scope="col" class="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">Messages</th>
          <td class="num">{num(q.messages_ready)}</td>
          <td class="num">{num(q.messages_unacknowledged)}</td>
          <td class="num">{num(q.messages)}</td>
        </tr>
        <tr>
          <th scope="row">Bytes</th>
          <td class="num">{bytes(q.message_bytes_ready)}</td>
          <td class="num">{bytes(q.message_bytes_unacknowledged)}</td>
          <td class="num">{bytes(q.message_bytes)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function Facts(props: { q: QueueDetailJson }) {
  const q = props.q;
  const policyDefinition = q.effective_policy_definition;
  const hasPolicy = policyDefinition !== null && typeof policyDefinition === 'object' && Object.keys(policyDefinition).length > 0;
  return (
    <KeyValues
      rows={[
        ['Virtual host', q.vhost],
        ['Type', q.type],
        ['Features', <Features queue={q} />],
        ['Arguments', <Arguments args={q.arguments} />],
        ['Policy', q.policy ?? <span class="muted">none</span>],
        ['Operator policy', q.operator_policy ?? <span class="muted">none</span>],
        ['Effective policy definition', hasPolicy ? <Value value={policyDefinition} /> : <span class="muted">none</span>],
        ['State', q.state],
        ['Node', q.node],
        ['Consumers', num(q.consumers)],
        ['Consumer capacity', typeof q.consumer_capacity === 'number' ? `${Math.round(q.consumer_capacity * 100)}%` : '—'],
        ['Single active consumer', q.single_active_consumer_tag ?? <span class="muted">—</span>],
        ['Memory (estimate)', bytes(q.memory)],
        ['Oldest message', timestamp(typeof q.head_message_timestamp === 'number' ? q.head_message_timestamp * 1000 : undefined)],
        ['Idle since', q.idle_since ?? <span class="muted">—</span>],
      ]}
    />
  );
}

function Charts(props: { q: QueueDetailJson; range: string }) {
  return (
    <Section
      title="Charts"
      actions={<RangeSelect value={props.range} />}
    >
      <div class="charts">
        <Chart title="Queued messages" data={chartFromDetails(props.q as unknown as Record<string, unknown>, LENGTH_SERIES, false)} />
        <Chart title="Message rates" unit="/s" data={chartFromDetails(props.q.message_stats, RATE_SERIES, true)} />
      </div>
    </Section>
  );
}

function DangerZone(props: { vhost: string; name: string; messages: number | undefined; reload: () => void }) {
  const [ifEmpty, setIfEmpty] = useState(false);
  const [ifUnused, setIfUnused] = useState(false);
  const path = ['queues', props.vhost, props.name];
  return (
    <Section title="Purge or delete">
      <div class="q-row-actions">
        <ActionButton
          label="Purge"
          confirm={`Purge queue '${props.name}'? Its ready messages (${num(props.messages)}) are deleted.`}
          run={() => api.del(apiPath([...path, 'contents']))}
          onDone={props.reload}
        />
        <span class="q-delete-options">
          <Checkbox label="Only if empty" checked={ifEmpty} onChange={setIfEmpty} />
          <Checkbox label="Only if unused" checked={ifUnused} onChange={setIfUnused} />
          <ActionButton
            label="Delete"
            danger
            confirm={`Delete queue '${props.name}' in ${props.vhost}?`}
            run={() => api.del(apiPath(path, { 'if-empty': ifEmpty || undefined, 'if-unused': ifUnused || undefined }))}
            onDone={() => navigate(href(['queues'], { vhost: props.vhost }))}
          />
        </span>
      </div>
    </Section>
  );
}

export function QueueDetail(props: { vhost: string; name: string; query: Readonly<Record<string, string>> }) {
  const { vhost, name } = props;
  const range = rangeOf(props.query);
  const path = apiPath(['queues', vhost, name], rangeQuery(range));
  const live = useLive(() => api.get<QueueDetailJson>(path), path);
  const q = live.data;
  const gone = live.error instanceof ApiError && live.error.status === 404;
  return (
    <>
      <PageTitle kind="Queue" title={name}>
        <span class="muted">in virtual host {vhost}</span>
        <a href={href(['queues'], { vhost })}>All queues in {vhost}</a>
        {!gone && <a href={href(['tail'], { vhost, queue: name })}>Live tail</a>}
      </PageTitle>
      {q === undefined && live.loading && <p class="muted">Loading…</p>}
      {gone ? <p class="error">There is no queue '{name}' in virtual host '{vhost}'.</p> : <ErrorBox error={live.error} />}
      {q !== undefined && !gone && (
        <>
          <div class="q-queue-top">
            <Facts q={q} />
            <Counts q={q} />
          </div>
          <HealthBlock health={q.leveret_health} />
          <Charts q={q} range={range.id} />
          <Section title="Consumers">
            <QueueConsumers consumers={q.consumer_details ?? []} />
          </Section>
          <Bindings vhost={vhost} destination={{ type: 'queue', name }} title="Bindings" />
          <Section title="Browse messages">
            <p>
              <a href={href(['queues', vhost, name], { view: 'browse' })}>Browse and search the messages</a> without taking them, and
              re-drive dead letters back to where they came from.
            </p>
          </Section>
          <div class="q-queue-actions">
            <Section title="Get messages">
              <GetMessages vhost={vhost} name={name} onDone={live.reload} />
            </Section>
            <Section title="Publish message">
              {/* Through the default exchange, which the API names amq.default: the routing key is the queue. */}
              <PublishForm vhost={vhost} exchange="amq.default" routingKey={name} fixedRoutingKey onPublished={live.reload} />
            </Section>
          </div>
          <DangerZone vhost={vhost} name={name} messages={q.messages_ready} reload={live.reload} />
        </>
      )}
    </>
  );
}
