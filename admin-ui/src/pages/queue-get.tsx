/*
 * Get messages (POST /api/queues/{vh}/{q}/get), as basic.get would: the ack mode decides whether they go back to the
 * queue. Each message is shown as text (payloads in a <pre>, never as markup): routing key, exchange, redelivered,
 * properties and headers.
 */
import { useState } from 'preact/hooks';
import { ActionForm, Field, inputValue, KeyValues, Value } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { num } from '../lib/format';

const ACK_MODES = [
  ['ack_requeue_true', 'Requeue (ack_requeue_true): messages stay in the queue'],
  ['ack_requeue_false', 'Remove (ack_requeue_false): messages leave the queue'],
  ['reject_requeue_true', 'Reject and requeue (reject_requeue_true)'],
  ['reject_requeue_false', 'Reject, no requeue (reject_requeue_false): dead-lettered or dropped'],
] as const;

export interface GotMessage {
  readonly payload: string;
  readonly payload_bytes: number;
  readonly payload_encoding: string;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routing_key: string;
  readonly message_count: number;
  readonly properties: Record<string, unknown> | null;
}

function Message(props: { index: number; m: GotMessage }) {
  const { m } = props;
  const { headers, ...properties } = (m.properties ?? {}) as Record<string, unknown>;
  const headerEntries = Object.entries((headers ?? {}) as Record<string, unknown>);
  return (
    <article class="q-got-message" aria-label={`Message ${props.index + 1}`}>
      <h3>Message {props.index + 1}</h3>
      <KeyValues
        rows={[
          ['Exchange', m.exchange === '' ? '(AMQP default)' : m.exchange],
          ['Routing key', m.routing_key],
          ['Redelivered', m.redelivered ? 'yes' : 'no'],
          ['Left in queue', num(m.message_count)],
          ['Properties', Object.keys(properties).length === 0 ? <span class="muted">none</span> : <Value value={properties} />],
          [
            'Headers',
            headerEntries.length === 0 ? (
              <span class="muted">none</span>
            ) : (
              <ul class="q-plain">
                {headerEntries.map(([k, v]) => (
                  <li key={k}>
                    <code>{k}</code>: <Value value={v} />
                  </li>
                ))}
              </ul>
            ),
          ],
          ['Payload', `${num(m.payload_bytes)} bytes, encoded as ${m.payload_encoding}`],
        ]}
      />
      <pre class="q-payload">{m.payload}</pre>
    </article>
  );
}

export function GetMessages(props: { vhost: string; name: string; onDone: () => void }) {
  const [ackMode, setAckMode] = useState<string>('ack_requeue_true');
  const [encoding, setEncoding] = useState<'auto' | 'base64'>('auto');
  const [count, setCount] = useState('1');
  const [truncate, setTruncate] = useState('50000');
  const [got, setGot] = useState<GotMessage[] | undefined>(undefined);

  const submit = async (): Promise<void> => {
    setGot(undefined);
    const body: Record<string, unknown> = { ackmode: ackMode, encoding, count: Number(count) };
    if (truncate.trim() !== '') body.truncate = Number(truncate);
    const answer = await api.post<GotMessage[]>(apiPath(['queues', props.vhost, props.name, 'get']), body);
    setGot(answer);
    props.onDone();
  };

  return (
    <>
      <ActionForm submit={submit} label="Get messages" class="get-form">
        <div class="row">
          <Field id="qg-ack" label="Ack mode">
            <select id="qg-ack" value={ackMode} onChange={(e) => setAckMode(inputValue(e))}>
              {ACK_MODES.map(([mode, label]) => (
                <option key={mode} value={mode}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="qg-enc" label="Encoding">
            <select id="qg-enc" value={encoding} onChange={(e) => setEncoding(inputValue(e) as 'auto' | 'base64')}>
              <option value="auto">Auto (text, or base64 when not UTF-8)</option>
              <option value="base64">Base64</option>
            </select>
          </Field>
          <Field id="qg-count" label="Messages">
            <input id="qg-count" type="number" min="1" value={count} onInput={(e) => setCount(inputValue(e))} />
          </Field>
          <Field id="qg-truncate" label="Truncate at bytes">
            <input id="qg-truncate" type="number" min="0" value={truncate} onInput={(e) => setTruncate(inputValue(e))} />
          </Field>
        </div>
      </ActionForm>
      {got !== undefined &&
        (got.length === 0 ? (
          <p class="notice" role="status">
            The queue is empty.
          </p>
        ) : (
          <div class="q-got-messages">
            {got.map((m, i) => (
              <Message key={i} index={i} m={m} />
            ))}
          </div>
        ))}
    </>
  );
}
