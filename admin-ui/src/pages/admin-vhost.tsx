/*
 * One virtual host: its figures and settings (description and tags editable: a PUT on an existing vhost updates
 * them), the permissions and topic permissions of every user on it, its limits, and delete (with a confirm that
 * says what goes with it).
 */
import { useEffect, useState } from 'preact/hooks';
import { ActionButton, ActionForm, ErrorBox, Field, inputValue, KeyValues, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { num } from '../lib/format';
import { useLive } from '../lib/live';
import { href, navigate } from '../lib/router';
import { LimitsSection, PermissionsSection, TopicPermissionsSection } from './admin-access';
import { vhostTags, type Vhost } from './admin-vhosts';

function EditVhost(props: { vhost: Vhost; onDone: () => void }) {
  const stored = `${props.vhost.description ?? ''}\u0000${vhostTags(props.vhost)}`;
  const [description, setDescription] = useState(props.vhost.description ?? '');
  const [tags, setTags] = useState(vhostTags(props.vhost));
  // Follows the stored values when they change (another admin, this form's own save), not on every refresh.
  useEffect(() => {
    setDescription(props.vhost.description ?? '');
    setTags(vhostTags(props.vhost));
  }, [stored]);
  const submit = () => api.put(apiPath(['vhosts', props.vhost.name]), { description, tags });
  return (
    <ActionForm label="Update" done="Updated." submit={submit} onDone={props.onDone}>
      <div class="row">
        <Field id="vhost-description" label="Description">
          <input id="vhost-description" value={description} onInput={(e) => setDescription(inputValue(e))} />
        </Field>
        <Field id="vhost-tags" label="Tags" hint="comma separated">
          <input id="vhost-tags" value={tags} onInput={(e) => setTags(inputValue(e))} />
        </Field>
      </div>
    </ActionForm>
  );
}

/**
 * Once deleted, the page's sections are unmounted at once, before the address changes, so no refresh asks for what
 * is gone (a 404 in the console).
 */
export function VhostDetail(props: { name: string }) {
  const [gone, setGone] = useState<string | undefined>(undefined);
  if (gone === props.name) return <p class="muted">Deleted.</p>;
  return <VhostDetailPage name={props.name} onDeleted={() => setGone(props.name)} />;
}

function VhostDetailPage(props: { name: string; onDeleted: () => void }) {
  const { name } = props;
  const path = apiPath(['vhosts', name]);
  const live = useLive(() => api.get<Vhost>(path), path);
  const vhost = live.data;
  return (
    <>
      <PageTitle kind="Virtual host" title={name}>
        <a href={href(['admin', 'vhosts'])}>All virtual hosts</a>
        <a href={href(['queues'], { vhost: name })}>Its queues</a>
      </PageTitle>
      <ErrorBox error={live.error} />
      {vhost !== undefined && (
        <>
          <KeyValues
            rows={[
              ['Description', vhost.description ?? ''],
              ['Tags', vhostTags(vhost)],
              ['Default queue type', vhost.default_queue_type ?? '—'],
              ['Messages ready', num(vhost.messages_ready)],
              ['Messages unacked', num(vhost.messages_unacknowledged)],
              ['Messages total', num(vhost.messages)],
            ]}
          />
          <Section title="Settings">
            <EditVhost vhost={vhost} onDone={live.reload} />
          </Section>
          <PermissionsSection side={{ kind: 'vhost', name }} />
          <TopicPermissionsSection side={{ kind: 'vhost', name }} />
          <LimitsSection side={{ kind: 'vhost', name }} />
          <Section title="Delete">
            <ActionButton
              label="Delete this virtual host"
              danger
              confirm={`Delete virtual host ${name}, with all its queues, exchanges and messages?`}
              run={() => api.del(path)}
              onDone={() => {
                props.onDeleted();
                navigate(href(['admin', 'vhosts']));
              }}
            />
          </Section>
        </>
      )}
    </>
  );
}
