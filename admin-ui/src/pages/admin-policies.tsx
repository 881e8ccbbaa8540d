/*
 * Policies and operator policies, one kind at a time (`?kind=operator`), of every vhost or of one (`?vhost=`).
 * Policymakers manage policies on the vhosts they may access; operator policies are for administrators
 * (src/management/routes/policies.ts: requireAdmin), so a policymaker sees them without the forms.
 */
import { useState } from 'preact/hooks';
import { ActionButton, ErrorBox, Notice, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { href, route } from '../lib/router';
import { can } from '../lib/session';
import { VhostSelect, useVhostNames } from '../components/vhost-select';
import { PolicyForm, type Policy, type PolicyKind } from './admin-policy-form';

function KindTabs(props: { kind: PolicyKind; vhost: string }) {
  const to = (kind: string | undefined) => href(['admin', 'policies'], { kind, vhost: props.vhost });
  return (
    <nav class="tabs" aria-label="Policy kind">
      <a href={to(undefined)} aria-current={props.kind === 'policies' ? 'page' : undefined}>
        Policies
      </a>
      <a href={to('operator')} aria-current={props.kind === 'operator-policies' ? 'page' : undefined}>
        Operator policies
      </a>
    </nav>
  );
}

/** A definition as text: `max-length: 10, overflow: "reject-publish"`, values as JSON so their type shows. */
function definitionText(definition: Record<string, unknown>): string {
  return Object.entries(definition)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
}

function PolicyTable(props: { kind: PolicyKind; rows: Policy[]; canEdit: boolean; onEdit: (p: Policy) => void; reload: () => void }) {
  const noun = props.kind === 'policies' ? 'policy' : 'operator policy';
  return (
    <table class="grid" aria-label={props.kind === 'policies' ? 'Policies' : 'Operator policies'}>
      <thead>
        <tr>
          <th>Virtual host</th>
          <th>Name</th>
          <th>Pattern</th>
          <th>Apply to</th>
          <th>Definition</th>
          <th class="num">Priority</th>
          {props.canEdit && <th />}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((p) => (
          <tr key={`${p.vhost}\u0000${p.name}`}>
            <td>{p.vhost}</td>
            <td>{p.name}</td>
            <td class="mono">{p.pattern}</td>
            <td>{p['apply-to']}</td>
            <td class="mono">{definitionText(p.definition)}</td>
            <td class="num">{String(p.priority)}</td>
            {props.canEdit && (
              <td class="admin-row-actions">
                <button type="button" onClick={() => props.onEdit(p)} aria-label={`Edit ${noun} ${p.name}`}>
                  Edit
                </button>
                <ActionButton
                  label="Delete"
                  danger
                  confirm={`Delete ${noun} ${p.name} in virtual host ${p.vhost}?`}
                  run={() => api.del(apiPath([props.kind, p.vhost, p.name]))}
                  onDone={props.reload}
                />
              </td>
            )}
          </tr>
        ))}
        {props.rows.length === 0 && (
          <tr>
            <td class="empty" colSpan={props.canEdit ? 7 : 6}>
              No {noun === 'policy' ? 'policies' : 'operator policies'}.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function PoliciesPage() {
  const q = route.value.query;
  const kind: PolicyKind = q.kind === 'operator' ? 'operator-policies' : 'policies';
  const vhost = q.vhost ?? '';
  const path = apiPath(vhost === '' ? [kind] : [kind, vhost]);
  const live = useLive(() => api.get<Policy[]>(path), path);
  const vhostNames = useVhostNames();
  const canEdit = kind === 'policies' ? can.policymaker.value : can.admin.value;
  // The form is re-created for each edit (its key), so it starts from that policy.
  const [edit, setEditing] = useState<{ policy: Policy | undefined; n: number; kind: PolicyKind }>({ policy: undefined, n: 0, kind });
  // An edit belongs to its kind: switching to the other tab starts a new policy.
  const editing = edit.kind === kind ? edit : { policy: undefined, n: edit.n + 1, kind };
  const title = kind === 'policies' ? 'Policies' : 'Operator policies';
  return (
    <>
      <PageTitle title={title} />
      <KindTabs kind={kind} vhost={vhost} />
      <div class="list-controls">
        <VhostSelect value={vhost} names={vhostNames} label="Show virtual host" />
      </div>
      <ErrorBox error={live.error} />
      <PolicyTable kind={kind} rows={live.data ?? []} canEdit={canEdit} onEdit={(p) => setEditing({ policy: p, n: editing.n + 1, kind })} reload={live.reload} />
      {!canEdit && <Notice>Only users tagged administrator change operator policies.</Notice>}
      {canEdit && vhostNames.length > 0 && (
        <Section
          title={editing.policy === undefined ? `Add ${kind === 'policies' ? 'a policy' : 'an operator policy'}` : `Update ${editing.policy.name}`}
          actions={
            editing.policy !== undefined && (
              <button type="button" onClick={() => setEditing({ policy: undefined, n: editing.n + 1, kind })}>
                New instead
              </button>
            )
          }
        >
          <PolicyForm
            key={`${kind}-${editing.n}`}
            kind={kind}
            vhosts={vhostNames}
            initial={editing.policy}
            defaultVhost={vhost !== '' && vhostNames.includes(vhost) ? vhost : (vhostNames[0] as string)}
            onDone={live.reload}
          />
        </Section>
      )}
    </>
  );
}
