/*
 * The Admin section: users, vhosts, policies and limits. The first hash segment is `admin`; the second picks the
 * sub-page and a third names one user or vhost (`#/admin/vhosts/a%20b`). The section opens to policymakers and
 * administrators (routes.ts); inside it, users, vhosts and limits are for administrators only, as the API enforces
 * (requireAdmin), and policies for policymakers too. What the tags do not open is neither linked nor shown.
 */
import type { ComponentChildren } from 'preact';
import type { PageProps } from '../routes';
import { Notice, PageTitle } from '../components/ui';
import { href } from '../lib/router';
import { can } from '../lib/session';
import { LimitsPage } from './admin-limits';
import { PoliciesPage } from './admin-policies';
import { UserDetail } from './admin-user';
import { UsersPage } from './admin-users';
import { VhostDetail } from './admin-vhost';
import { VhostsPage } from './admin-vhosts';

interface SubPage {
  readonly segment: string;
  readonly label: string;
  readonly adminOnly: boolean;
  readonly about: string;
}

const SUB_PAGES: readonly SubPage[] = [
  { segment: 'users', label: 'Users', adminOnly: true, about: 'Create and delete users; tags, passwords, permissions and limits.' },
  { segment: 'vhosts', label: 'Virtual hosts', adminOnly: true, about: 'Create and delete vhosts; who may use them, and their limits.' },
  { segment: 'policies', label: 'Policies', adminOnly: false, about: 'Policies and operator policies: settings applied to queues by name pattern.' },
  { segment: 'limits', label: 'Limits', adminOnly: true, about: 'Every vhost limit and user limit in one view.' },
];

function visible(sub: SubPage): boolean {
  return !sub.adminOnly || can.admin.value;
}

function SubNav(props: { current: string | undefined }) {
  return (
    <nav class="tabs" aria-label="Admin">
      {SUB_PAGES.filter(visible).map((s) => (
        <a key={s.segment} href={href(['admin', s.segment])} aria-current={s.segment === props.current ? 'page' : undefined}>
          {s.label}
        </a>
      ))}
    </nav>
  );
}

function Index() {
  return (
    <>
      <PageTitle title="Admin" />
      <SubNav current={undefined} />
      <dl class="admin-index">
        {SUB_PAGES.filter(visible).map((s) => (
          <div key={s.segment}>
            <dt>
              <a href={href(['admin', s.segment])}>{s.label}</a>
            </dt>
            <dd>{s.about}</dd>
          </div>
        ))}
      </dl>
      {!can.admin.value && <Notice>Users, virtual hosts and limits are managed by users tagged administrator.</Notice>}
    </>
  );
}

function AdminOnly(props: { what: string; children: ComponentChildren }) {
  if (can.admin.value) return <>{props.children}</>;
  return <p class="error">Only users tagged administrator manage {props.what}.</p>;
}

export default function Page(props: PageProps) {
  const [, section, name] = props.route.path;
  const sub = SUB_PAGES.find((s) => s.segment === section);
  if (section === undefined || section === '') return <Index />;
  if (sub === undefined) return <p class="error">There is no admin page at this address.</p>;
  let body: ComponentChildren;
  switch (section) {
    case 'users':
      body = <AdminOnly what="users">{name === undefined ? <UsersPage /> : <UserDetail name={name} />}</AdminOnly>;
      break;
    case 'vhosts':
      body = <AdminOnly what="virtual hosts">{name === undefined ? <VhostsPage /> : <VhostDetail name={name} />}</AdminOnly>;
      break;
    case 'limits':
      body = <AdminOnly what="limits">{<LimitsPage />}</AdminOnly>;
      break;
    default:
      body = <PoliciesPage />;
  }
  return (
    <>
      <SubNav current={section} />
      {body}
    </>
  );
}
