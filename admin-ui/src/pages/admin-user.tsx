/*
 * One user: tags and password, permissions per vhost, topic permissions, limits, delete. A PUT on /api/users/{u}
 * replaces the tags and keeps the password unless one is given, so the tag form and the password form are separate
 * and each sends the current tags.
 */
import { useEffect, useState } from 'preact/hooks';
import { ActionButton, ActionForm, ErrorBox, Field, inputValue, KeyValues, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { href, navigate } from '../lib/router';
import { me } from '../lib/session';
import { LimitsSection, PermissionsSection, TopicPermissionsSection } from './admin-access';
import { tagList, TagPicker, type User } from './admin-users';

function TagsForm(props: { name: string; tags: string[]; onDone: () => void }) {
  const [tags, setTags] = useState<string[]>(props.tags);
  const [version, setVersion] = useState(0);
  // A refresh brings the stored tags; the form follows them only when they change, never while being edited.
  const stored = props.tags.join(',');
  useEffect(() => {
    setTags(props.tags);
    setVersion((v) => v + 1);
  }, [stored]);
  return (
    <ActionForm label="Update tags" done="Tags updated." submit={() => api.put(apiPath(['users', props.name]), { tags: tags.join(',') })} onDone={props.onDone}>
      <TagPicker key={version} id="user-tags" value={tags} onChange={setTags} />
    </ActionForm>
  );
}

function PasswordForm(props: { name: string; tags: string[]; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const submit = async (): Promise<void> => {
    await api.put(apiPath(['users', props.name]), { tags: props.tags.join(','), password });
    setPassword('');
  };
  return (
    <ActionForm label="Change password" done="Password changed." submit={submit} onDone={props.onDone}>
      <Field id="user-new-password" label="New password" hint="logs this user out of every session">
        <input id="user-new-password" type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(inputValue(e))} />
      </Field>
    </ActionForm>
  );
}

/**
 * Once deleted, the page's sections are unmounted at once, before the address changes, so no refresh asks for what
 * is gone (a 404 in the console).
 */
export function UserDetail(props: { name: string }) {
  const [gone, setGone] = useState<string | undefined>(undefined);
  if (gone === props.name) return <p class="muted">Deleted.</p>;
  return <UserDetailPage name={props.name} onDeleted={() => setGone(props.name)} />;
}

function UserDetailPage(props: { name: string; onDeleted: () => void }) {
  const { name } = props;
  const path = apiPath(['users', name]);
  const live = useLive(() => api.get<User>(path), path);
  const user = live.data;
  const tags = user === undefined ? [] : tagList(user.tags);
  const self = me.value?.name === name;
  return (
    <>
      <PageTitle kind="User" title={name}>
        <a href={href(['admin', 'users'])}>All users</a>
      </PageTitle>
      <ErrorBox error={live.error} />
      {user !== undefined && (
        <>
          <KeyValues
            rows={[
              ['Tags', tags.join(', ') || <span class="muted">none</span>],
              ['Can log in with password', (user.password_hash ?? '') === '' ? 'no' : 'yes'],
            ]}
          />
          <Section title="Tags">
            <TagsForm name={name} tags={tags} onDone={live.reload} />
          </Section>
          <Section title="Password">
            <PasswordForm name={name} tags={tags} onDone={live.reload} />
          </Section>
          <PermissionsSection side={{ kind: 'user', name }} />
          <TopicPermissionsSection side={{ kind: 'user', name }} />
          <LimitsSection side={{ kind: 'user', name }} />
          <Section title="Delete">
            <ActionButton
              label="Delete this user"
              danger
              confirm={self ? `Delete user ${name}? That is you: this session ends.` : `Delete user ${name}?`}
              run={() => api.del(path)}
              onDone={() => {
                props.onDeleted();
                navigate(href(['admin', 'users']));
              }}
            />
          </Section>
        </>
      )}
    </>
  );
}
