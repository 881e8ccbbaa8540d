/*
 * Every vhost limit and every user limit in one view (/api/vhost-limits, /api/user-limits list only what has a
 * limit), each linked to the page where it is set and cleared.
 */
import { ErrorBox, PageTitle, Section } from '../components/ui';
import { api, apiPath } from '../lib/api';
import { useLive } from '../lib/live';
import { href } from '../lib/router';

interface LimitRow {
  vhost?: string;
  user?: string;
  value: Record<string, number>;
}

function LimitTable(props: { kind: 'vhost' | 'user'; rows: LimitRow[] | undefined }) {
  const label = props.kind === 'vhost' ? 'Virtual host' : 'User';
  const names = props.kind === 'vhost' ? ['max-connections', 'max-queues'] : ['max-connections', 'max-channels'];
  const rows = props.rows ?? [];
  return (
    <table class="grid" aria-label={`${label} limits`}>
      <thead>
        <tr>
          <th>{label}</th>
          {names.map((n) => (
            <th key={n} class="num">
              {n}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const owner = (props.kind === 'vhost' ? r.vhost : r.user) ?? '';
          return (
            <tr key={owner}>
              <td>
                <a href={href(['admin', props.kind === 'vhost' ? 'vhosts' : 'users', owner])}>{owner}</a>
              </td>
              {names.map((n) => {
                const v = r.value[n];
                return (
                  <td key={n} class="num">
                    {v === undefined ? <span class="muted">—</span> : v < 0 ? 'unlimited' : String(v)}
                  </td>
                );
              })}
            </tr>
          );
        })}
        {props.rows !== undefined && rows.length === 0 && (
          <tr>
            <td class="empty" colSpan={names.length + 1}>
              No {props.kind} has a limit.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function LimitsPage() {
  const vhostPath = apiPath(['vhost-limits']);
  const userPath = apiPath(['user-limits']);
  const vhosts = useLive(() => api.get<LimitRow[]>(vhostPath), vhostPath);
  const users = useLive(() => api.get<LimitRow[]>(userPath), userPath);
  return (
    <>
      <PageTitle title="Limits" />
      <Section title="Virtual host limits">
        <ErrorBox error={vhosts.error} />
        <LimitTable kind="vhost" rows={vhosts.data} />
      </Section>
      <Section title="User limits">
        <ErrorBox error={users.error} />
        <LimitTable kind="user" rows={users.data} />
      </Section>
    </>
  );
}
