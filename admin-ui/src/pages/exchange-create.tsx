/*
 * The create form: PUT /api/exchanges/{vh}/{name} with type, durable, auto_delete, internal and typed arguments.
 * The types are those the broker lists (x-delayed-message included); choosing x-delayed-message adds the
 * x-delayed-type row it cannot be declared without.
 */
import { useState } from 'preact/hooks';
import { api, apiPath } from '../lib/api';
import { exchangeHref } from '../lib/exchange-name';
import { ArgumentsEditor, argumentsOf, type ArgRow, type KnownArgument } from '../components/arguments';
import { ActionForm, Checkbox, Field, inputValue } from '../components/ui';
import { VhostField } from '../components/vhost-select';
import { useExchangeTypes } from './exchange-parts';

const DELAYED = 'x-delayed-message';
const ALTERNATE: KnownArgument = { name: 'alternate-exchange', type: 'string', label: 'Alternate exchange' };
const DELAYED_TYPE: KnownArgument = { name: 'x-delayed-type', type: 'string', label: 'Delayed type', initial: 'direct' };

let forms = 0;

export function CreateExchange(props: { vhosts: readonly string[]; vhost: string; onCreated: () => void }) {
  const [id] = useState(() => `newx${++forms}`);
  const types = useExchangeTypes();
  const [vhost, setVhost] = useState(props.vhost === '' ? '/' : props.vhost);
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [internal, setInternal] = useState(false);
  const [args, setArgs] = useState<ArgRow[]>([]);
  const [created, setCreated] = useState<{ vhost: string; name: string } | undefined>(undefined);

  const chooseType = (t: string): void => {
    setType(t);
    if (t === DELAYED && !args.some((a) => a.name === DELAYED_TYPE.name)) setArgs([...args, { name: DELAYED_TYPE.name, type: 'string', value: 'direct' }]);
  };

  const submit = async (): Promise<void> => {
    setCreated(undefined);
    if (name === '') throw new Error('An exchange needs a name (the default exchange, with the empty name, always exists).');
    await api.put(apiPath(['exchanges', vhost, name]), {
      type,
      durable,
      auto_delete: autoDelete,
      internal,
      arguments: argumentsOf(args),
    });
    setCreated({ vhost, name });
    setName('');
  };

  return (
    <ActionForm submit={submit} label="Add exchange" onDone={props.onCreated} class="exch-create">
      <div class="row">
        <VhostField id={`${id}-vhost`} value={vhost} names={props.vhosts} onChange={setVhost} />
        <Field id={`${id}-name`} label="Name">
          <input id={`${id}-name`} value={name} required onInput={(e) => setName(inputValue(e))} />
        </Field>
        <Field id={`${id}-type`} label="Type">
          <select id={`${id}-type`} value={type} onChange={(e) => chooseType(inputValue(e))}>
            {[...new Set([type, ...types])].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="row exch-checks">
        <Checkbox label="Durable" checked={durable} onChange={setDurable} />
        <Checkbox label="Auto-delete" checked={autoDelete} onChange={setAutoDelete} />
        <Checkbox label="Internal" checked={internal} onChange={setInternal} />
      </div>
      <ArgumentsEditor rows={args} onChange={setArgs} known={type === DELAYED ? [ALTERNATE, DELAYED_TYPE] : [ALTERNATE]} />
      {created !== undefined && (
        <p class="ok" role="status">
          Exchange <a href={exchangeHref(created.vhost, created.name)}>{created.name}</a> declared in {created.vhost}.
        </p>
      )}
    </ActionForm>
  );
}
