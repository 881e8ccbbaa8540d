/*
 * Publish a message through the API (POST /api/exchanges/{vhost}/{exchange}/publish): routing key, delivery mode,
 * headers with types (string, number, boolean), the basic properties and a payload as text or base64. Used by the
 * exchange page, and by the queue page through the default exchange (exchange '', routing key = the queue).
 */
import { useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { ActionForm, Field, inputValue } from './ui';

type HeaderType = 'string' | 'number' | 'boolean';
interface HeaderRow {
  name: string;
  type: HeaderType;
  value: string;
}

const PROPERTIES = [
  ['content_type', 'Content type'],
  ['content_encoding', 'Content encoding'],
  ['correlation_id', 'Correlation id'],
  ['reply_to', 'Reply to'],
  ['expiration', 'Expiration (ms)'],
  ['message_id', 'Message id'],
  ['type', 'Type'],
  ['user_id', 'User id'],
  ['app_id', 'App id'],
  ['priority', 'Priority'],
] as const;

let formCount = 0;

/** The header's value as JSON wants it; throws a readable error for a bad number or boolean. */
function headerValue(row: HeaderRow): string | number | boolean {
  if (row.type === 'number') {
    const n = Number(row.value);
    if (row.value.trim() === '' || !Number.isFinite(n)) throw new Error(`header ${row.name}: '${row.value}' is not a number`);
    return n;
  }
  if (row.type === 'boolean') {
    if (row.value !== 'true' && row.value !== 'false') throw new Error(`header ${row.name}: a boolean is true or false`);
    return row.value === 'true';
  }
  return row.value;
}

export function PublishForm(props: {
  vhost: string;
  exchange: string;
  routingKey?: string;
  fixedRoutingKey?: boolean;
  /** Called after each publish (the queue page reloads its counts). */
  onPublished?: () => void;
}) {
  const [id] = useState(() => `pub${++formCount}`);
  const [routingKey, setRoutingKey] = useState(props.routingKey ?? '');
  const [persistent, setPersistent] = useState(false);
  const [headers, setHeaders] = useState<HeaderRow[]>([]);
  const [properties, setProperties] = useState<Record<string, string>>({});
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState<'string' | 'base64'>('string');
  const [result, setResult] = useState<string | undefined>(undefined);

  const submit = async (): Promise<void> => {
    setResult(undefined);
    const props_: Record<string, unknown> = { delivery_mode: persistent ? 2 : 1 };
    for (const [key] of PROPERTIES) {
      const v = properties[key];
      if (v === undefined || v === '') continue;
      if (key === 'priority') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error('priority is a whole number from 0 to 255');
        props_[key] = n;
      } else props_[key] = v;
    }
    const table: Record<string, unknown> = {};
    for (const row of headers) if (row.name !== '') table[row.name] = headerValue(row);
    if (Object.keys(table).length > 0) props_.headers = table;
    const answer = await api.post<{ routed: boolean }>(apiPath(['exchanges', props.vhost, props.exchange, 'publish']), {
      properties: props_,
      routing_key: routingKey,
      payload,
      payload_encoding: encoding,
    });
    setResult(answer.routed ? 'Message published.' : 'Message published, but not routed to any queue.');
    props.onPublished?.();
  };

  const setHeader = (i: number, patch: Partial<HeaderRow>): void =>
    setHeaders(headers.map((h, j) => (j === i ? { ...h, ...patch } : h)));

  return (
    <ActionForm submit={submit} label="Publish message" class="publish-form">
      {props.fixedRoutingKey !== true && (
        <Field id={`${id}-rk`} label="Routing key">
          <input id={`${id}-rk`} value={routingKey} onInput={(e) => setRoutingKey(inputValue(e))} />
        </Field>
      )}
      <Field id={`${id}-mode`} label="Delivery mode">
        <select id={`${id}-mode`} value={persistent ? '2' : '1'} onChange={(e) => setPersistent(inputValue(e) === '2')}>
          <option value="1">1 - non-persistent</option>
          <option value="2">2 - persistent</option>
        </select>
      </Field>
      <fieldset class="headers">
        <legend>Headers</legend>
        {headers.map((row, i) => (
          <div class="row" key={i}>
            <input aria-label={`Header ${i + 1} name`} placeholder="name" value={row.name} onInput={(e) => setHeader(i, { name: inputValue(e) })} />
            <select aria-label={`Header ${i + 1} type`} value={row.type} onChange={(e) => setHeader(i, { type: inputValue(e) as HeaderType })}>
              <option value="string">String</option>
              <option value="number">Number</option>
              <option value="boolean">Boolean</option>
            </select>
            <input aria-label={`Header ${i + 1} value`} placeholder="value" value={row.value} onInput={(e) => setHeader(i, { value: inputValue(e) })} />
            <button type="button" onClick={() => setHeaders(headers.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setHeaders([...headers, { name: '', type: 'string', value: '' }])}>
          Add header
        </button>
      </fieldset>
      <details>
        <summary>Properties</summary>
        <div class="property-grid">
          {PROPERTIES.map(([key, label]) => (
            <Field key={key} id={`${id}-${key}`} label={label}>
              <input id={`${id}-${key}`} value={properties[key] ?? ''} onInput={(e) => setProperties({ ...properties, [key]: inputValue(e) })} />
            </Field>
          ))}
        </div>
      </details>
      <Field id={`${id}-payload`} label="Payload">
        <textarea id={`${id}-payload`} value={payload} onInput={(e) => setPayload(inputValue(e))} />
      </Field>
      <Field id={`${id}-enc`} label="Payload encoding">
        <select id={`${id}-enc`} value={encoding} onChange={(e) => setEncoding(inputValue(e) as 'string' | 'base64')}>
          <option value="string">String (UTF-8)</option>
          <option value="base64">Base64</option>
        </select>
      </Field>
      {result !== undefined && (
        <p class="ok" role="status">
          {result}
        </p>
      )}
    </ActionForm>
  );
}
