/**
 * The Admin section in a real browser: users created through the form and the tag gates they get, a vhost with an
 * awkward name given permissions, topic permissions and a limit that the broker then enforces over AMQP, policies
 * and operator policies with typed definitions and the API's 400 reasons, and deleting all of it through the UI.
 */
import type { Page } from 'playwright-core';
import { connect } from 'amqplib';
import { apiCall, login, openPage, screenshot, useUi, type WatchedPage } from './support/harness';

jest.setTimeout(90000);

const env = useUi();

const enc = encodeURIComponent;

/** Accepts the UI's confirm dialogs; any other dialog (an alert from injected script) is a problem. */
function acceptConfirms(w: WatchedPage): void {
  w.page.on('dialog', (d) => {
    if (d.type() !== 'confirm') w.problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
    void (d.type() === 'confirm' ? d.accept() : d.dismiss());
  });
}

/** The form whose submit button has this label (several forms on a page share field labels such as 'User'). */
function form(page: Page, submit: string) {
  return page.locator('form').filter({ has: page.getByRole('button', { name: submit, exact: true }) });
}

async function admin(): Promise<WatchedPage> {
  const w = await openPage(env.browser, env.ui.base);
  acceptConfirms(w);
  await login(w, env.ui.base);
  return w;
}

describe('users', () => {
  test('created with tags through the form; each user sees what its tags open; deleted through the UI', async () => {
    const w = await admin();
    const policymaker = 'e2e pölicy maker';
    try {
      await w.page.getByRole('link', { name: 'Admin' }).click();
      await w.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
      await w.page.getByRole('link', { name: 'guest', exact: true }).waitFor();

      const add = async (name: string, tags: string[], other = ''): Promise<void> => {
        await w.page.getByLabel('Name', { exact: true }).fill(name);
        await w.page.getByLabel('Password', { exact: true }).fill('pw 1');
        for (const tag of ['management', 'policymaker', 'monitoring', 'administrator']) {
          await w.page.getByLabel(tag, { exact: true }).setChecked(tags.includes(tag));
        }
        await w.page.getByLabel('Other tags').fill(other);
        await w.page.getByRole('button', { name: 'Add user' }).click();
        await w.page.getByRole('link', { name, exact: true }).waitFor();
      };
      // The guest's vhosts come from its permissions.
      await w.page.getByRole('row').filter({ has: w.page.getByRole('link', { name: 'guest', exact: true }) }).getByRole('link', { name: '/', exact: true }).waitFor();
      await add('e2e-viewer', ['management']);
      await add(policymaker, ['management', 'policymaker'], 'team-a, on call');
      const row = w.page.getByRole('row').filter({ has: w.page.getByRole('link', { name: policymaker, exact: true }) });
      await row.getByText('management, policymaker, team-a, on call').waitFor();
      expect(await row.getByRole('cell', { name: 'yes', exact: true }).count()).toBe(1);
      await screenshot(w.page, 'admin-users');

      const stored = (await apiCall(env.ui.base, 'GET', `/api/users/${enc(policymaker)}`)) as { tags: string[] };
      expect(stored.tags).toEqual(['management', 'policymaker', 'team-a', 'on call']);

      // A management-only user: no Admin link, and the address alone does not open it.
      const viewer = await openPage(env.browser, env.ui.base);
      try {
        await login(viewer, env.ui.base, 'e2e-viewer', 'pw 1');
        await viewer.page.getByRole('link', { name: 'Queues' }).waitFor();
        expect(await viewer.page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
        await viewer.page.goto(`${env.ui.base}/#/admin/policies`);
        await viewer.page.getByText("Your user's tags do not open this page.").waitFor();
        expect(viewer.problems).toEqual([]);
      } finally {
        await viewer.close();
      }

      // A policymaker: Admin with Policies, but no Users, Virtual hosts or Limits.
      const pm = await openPage(env.browser, env.ui.base);
      try {
        await login(pm, env.ui.base, policymaker, 'pw 1');
        await pm.page.getByRole('link', { name: 'Admin' }).click();
        const sub = pm.page.getByRole('navigation', { name: 'Admin' });
        await sub.getByRole('link', { name: 'Policies' }).waitFor();
        expect(await sub.getByRole('link').allTextContents()).toEqual(['Policies']);
        await pm.page.goto(`${env.ui.base}/#/admin/users`);
        await pm.page.getByText('Only users tagged administrator manage users.').waitFor();
        await pm.page.goto(`${env.ui.base}/#/admin/policies`);
        await pm.page.getByRole('heading', { name: 'Policies' }).waitFor();
        await pm.page.getByRole('table', { name: 'Policies' }).getByText('No policies.').waitFor();
        expect(pm.problems).toEqual([]);
      } finally {
        await pm.close();
      }

      // The tags form keeps the password; the detail page deletes.
      await w.page.getByRole('link', { name: policymaker, exact: true }).click();
      await w.page.getByRole('heading', { name: `User ${policymaker}` }).waitFor();
      expect(w.page.url()).toContain(`#/admin/users/${enc(policymaker)}`);
      await w.page.getByLabel('monitoring', { exact: true }).check();
      await w.page.getByRole('button', { name: 'Update tags' }).click();
      await w.page.getByText('Tags updated.').waitFor();
      const updated = (await apiCall(env.ui.base, 'GET', `/api/users/${enc(policymaker)}`)) as { tags: string[]; password_hash: string };
      expect(updated.tags).toEqual(['management', 'policymaker', 'team-a', 'on call', 'monitoring']);
      expect(updated.password_hash).not.toBe('');

      for (const name of [policymaker, 'e2e-viewer']) {
        await w.page.goto(`${env.ui.base}/#/admin/users/${enc(name)}`);
        await w.page.getByRole('button', { name: 'Delete this user' }).click();
        await w.page.getByRole('heading', { name: 'Users' }).waitFor();
        await expect(apiCall(env.ui.base, 'GET', `/api/users/${enc(name)}`)).rejects.toThrow(/-> 404/);
      }
      await w.page.getByRole('link', { name: 'guest', exact: true }).waitFor();
      expect(await w.page.getByRole('link', { name: policymaker }).count()).toBe(0);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe('vhosts', () => {
  test('a vhost named with a space and unicode: permissions, topic permissions and a max-queues limit enforced over AMQP', async () => {
    const vhost = 'e2e vhöst ünï';
    const user = 'e2e user <b>';
    await apiCall(env.ui.base, 'PUT', `/api/users/${enc(user)}`, { password: 'u', tags: 'management' });
    const w = await admin();
    try {
      await w.page.goto(`${env.ui.base}/#/admin/vhosts`);
      await w.page.getByLabel('Name', { exact: true }).fill(vhost);
      await w.page.getByLabel('Description').fill('made by the e2e test');
      await w.page.getByLabel('Tags').fill('e2e, ünï');
      await w.page.getByRole('button', { name: 'Add virtual host' }).click();
      await w.page.getByRole('link', { name: vhost, exact: true }).click();
      await w.page.getByRole('heading', { name: `Virtual host ${vhost}` }).waitFor();
      expect(w.page.url()).toContain(`#/admin/vhosts/${enc(vhost)}`);
      await w.page.getByRole('cell', { name: 'made by the e2e test' }).waitFor();

      const perm = form(w.page, 'Set permission');
      await perm.getByLabel('User').selectOption(user);
      await perm.getByLabel('Configure regexp').fill('^e2e');
      await perm.getByRole('button', { name: 'Set permission' }).click();
      await perm.getByText('Permission set.').waitFor();
      const permissions = w.page.getByRole('table', { name: 'Permissions', exact: true });
      await permissions.getByRole('link', { name: user }).waitFor();
      expect(await apiCall(env.ui.base, 'GET', `/api/permissions/${enc(vhost)}/${enc(user)}`)).toEqual({
        user,
        vhost,
        configure: '^e2e',
        write: '.*',
        read: '.*',
      });

      const topic = form(w.page, 'Set topic permission');
      await topic.getByLabel('User').selectOption(user);
      await topic.getByLabel('Topic write regexp').fill('^orders\\.');
      await topic.getByRole('button', { name: 'Set topic permission' }).click();
      await w.page.getByRole('table', { name: 'Topic permissions' }).getByRole('link', { name: user }).waitFor();
      expect(await apiCall(env.ui.base, 'GET', `/api/topic-permissions/${enc(vhost)}/${enc(user)}`)).toEqual([
        { user, vhost, exchange: 'amq.topic', write: '^orders\\.', read: '.*' },
      ]);

      const limits = form(w.page, 'Set limit');
      await limits.getByLabel('Limit', { exact: true }).selectOption('max-queues');
      await limits.getByLabel('Limit value').fill('1');
      await limits.getByRole('button', { name: 'Set limit' }).click();
      await w.page.getByRole('table', { name: 'Limits' }).getByRole('row', { name: /max-queues\s+1/ }).waitFor();
      await screenshot(w.page, 'admin-vhost');

      // The limit holds for AMQP clients: one queue, then the second declare is refused.
      const conn = await connect(`${env.ui.broker.url}/${enc(vhost)}`);
      try {
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        await ch.assertQueue('e2e-first');
        await expect(ch.assertQueue('e2e-second')).rejects.toThrow(/queue limit in vhost 'e2e vhöst ünï' \(1\) is reached/);
      } finally {
        await conn.close();
      }

      // The same grants seen from the user's side, where a user limit is set too.
      await permissions.getByRole('link', { name: user }).click();
      await w.page.getByRole('heading', { name: `User ${user}` }).waitFor();
      await w.page.getByRole('table', { name: 'Permissions', exact: true }).getByRole('row', { name: `${vhost} ^e2e .* .* Clear` }).waitFor();
      await w.page.getByRole('table', { name: 'Topic permissions' }).getByRole('link', { name: vhost }).waitFor();
      const userLimits = form(w.page, 'Set limit');
      await userLimits.getByLabel('Limit', { exact: true }).selectOption('max-channels');
      await userLimits.getByLabel('Limit value').fill('5');
      await userLimits.getByRole('button', { name: 'Set limit' }).click();
      await w.page.getByRole('table', { name: 'Limits' }).getByRole('row', { name: /max-channels\s+5/ }).waitFor();
      expect(await apiCall(env.ui.base, 'GET', `/api/user-limits/${enc(user)}`)).toEqual([{ user, value: { 'max-channels': 5 } }]);

      await w.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Limits' }).click();
      const vhostLimits = w.page.getByRole('table', { name: 'Virtual host limits' });
      await vhostLimits.getByRole('row', { name: new RegExp(`${vhost}\\s+—\\s+1`) }).waitFor();
      await w.page.getByRole('table', { name: 'User limits' }).getByRole('row', { name: `${user} — 5` }).waitFor();
      await screenshot(w.page, 'admin-limits');
      await vhostLimits.getByRole('link', { name: vhost }).click();
      await w.page.getByRole('heading', { name: `Virtual host ${vhost}` }).waitFor();

      await w.page.getByRole('button', { name: 'Clear max-queues' }).click();
      await w.page.getByRole('table', { name: 'Limits' }).getByText('No limits.').waitFor();
      await permissions.getByRole('button', { name: `Clear permissions of ${user}` }).click();
      await permissions.getByRole('link', { name: user }).waitFor({ state: 'detached' });
      await permissions.getByRole('link', { name: 'guest' }).waitFor();
      await expect(apiCall(env.ui.base, 'GET', `/api/permissions/${enc(vhost)}/${enc(user)}`)).rejects.toThrow(/-> 404/);

      await w.page.getByRole('button', { name: 'Delete this virtual host' }).click();
      await w.page.getByRole('heading', { name: 'Virtual hosts' }).waitFor();
      await w.page.getByRole('link', { name: '/', exact: true }).waitFor();
      expect(await w.page.getByRole('link', { name: vhost }).count()).toBe(0);
      await expect(apiCall(env.ui.base, 'GET', `/api/vhosts/${enc(vhost)}`)).rejects.toThrow(/-> 404/);

      // A deep link to vhost '/' (%2F in the address).
      await w.page.getByRole('link', { name: '/', exact: true }).click();
      expect(w.page.url()).toMatch(/#\/admin\/vhosts\/%2F$/);
      await w.page.getByRole('heading', { name: 'Virtual host /' }).waitFor();
      await w.page.getByRole('table', { name: 'Permissions', exact: true }).getByRole('link', { name: 'guest' }).waitFor();
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
      await apiCall(env.ui.base, 'DELETE', `/api/users/${enc(user)}`);
    }
  });
});

describe('policies', () => {
  test('a max-length policy with typed values on vhost /, the API reason on a bad value, an operator policy, deleted through the UI', async () => {
    const name = '<script>alert(1)</script> len';
    const w = await admin();
    w.allowFailures.push(`PUT /api/policies/%2F/${enc(name)} -> 400`);
    try {
      await w.page.goto(`${env.ui.base}/#/admin/policies`);
      const f = form(w.page, 'Add policy');
      await f.getByLabel('Virtual host').selectOption('/');
      await f.getByLabel('Policy name').fill(name);
      await f.getByLabel('Pattern').fill('^e2e-pol');
      await f.getByLabel('Apply to').selectOption('queues');
      await f.getByLabel('Definition key 1').fill('max-length');
      expect(await f.getByLabel('Definition type 1').inputValue()).toBe('number');
      await f.getByLabel('Definition value 1').fill('1');
      await f.getByRole('button', { name: 'Add definition row' }).click();
      await f.getByLabel('Definition key 2').fill('message-ttl');
      await f.getByLabel('Definition value 2').fill('-5');
      await f.getByRole('button', { name: 'Add policy' }).click();
      await f.getByRole('alert').getByText('-5 is not a valid message TTL').waitFor();

      await f.getByLabel('Definition key 2').fill('overflow');
      expect(await f.getByLabel('Definition type 2').inputValue()).toBe('string');
      await f.getByLabel('Definition value 2').fill('reject-publish');
      await f.getByRole('button', { name: 'Add definition row' }).click();
      await f.getByLabel('Definition key 3').fill('x-e2e-flag');
      await f.getByLabel('Definition type 3').selectOption('boolean');
      await f.getByRole('button', { name: 'Remove definition row 3' }).click();
      await f.getByRole('button', { name: 'Add policy' }).click();
      await f.getByText('Saved.').waitFor();

      const table = w.page.getByRole('table', { name: 'Policies' });
      const row = table.getByRole('row').filter({ hasText: name });
      await row.getByText('max-length: 1, overflow: "reject-publish"').waitFor();
      await screenshot(w.page, 'admin-policies');
      expect(await apiCall(env.ui.base, 'GET', `/api/policies/%2F/${enc(name)}`)).toEqual({
        vhost: '/',
        name,
        pattern: '^e2e-pol',
        'apply-to': 'queues',
        definition: { 'max-length': 1, overflow: 'reject-publish' },
        priority: 0,
      });
      // It applies: a matching queue keeps one message.
      await apiCall(env.ui.base, 'PUT', '/api/queues/%2F/e2e-pol-q', {});
      for (const body of ['one', 'two']) {
        await apiCall(env.ui.base, 'POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'e2e-pol-q', payload: body, payload_encoding: 'string', properties: {} });
      }
      const queue = (await apiCall(env.ui.base, 'GET', '/api/queues/%2F/e2e-pol-q')) as { policy: string; messages: number };
      expect([queue.policy, queue.messages]).toEqual([name, 1]);
      await apiCall(env.ui.base, 'DELETE', '/api/queues/%2F/e2e-pol-q');

      // Editing fills the form from the row; the PUT replaces the definition.
      await row.getByRole('button', { name: `Edit policy ${name}` }).click();
      const edit = form(w.page, 'Update policy');
      expect(await edit.getByLabel('Policy name').inputValue()).toBe(name);
      await edit.getByLabel('Definition value 1').fill('7');
      await edit.getByRole('button', { name: 'Update policy' }).click();
      await row.getByText('max-length: 7, overflow: "reject-publish"').waitFor();

      // Operator policies take their own keys: overflow is refused with the API's reason.
      await w.page.getByRole('navigation', { name: 'Policy kind' }).getByRole('link', { name: 'Operator policies' }).click();
      w.allowFailures.push('PUT /api/operator-policies/%2F/e2e-op -> 400');
      const op = form(w.page, 'Add policy');
      await op.getByLabel('Policy name').fill('e2e-op');
      await op.getByLabel('Definition key 1').fill('overflow');
      await op.getByLabel('Definition value 1').fill('drop-head');
      await op.getByRole('button', { name: 'Add policy' }).click();
      await op.getByRole('alert').getByText('are not recognised policy settings').waitFor();
      await op.getByLabel('Definition key 1').fill('max-length-bytes');
      await op.getByLabel('Definition value 1').fill('1000');
      await op.getByRole('button', { name: 'Add policy' }).click();
      const opTable = w.page.getByRole('table', { name: 'Operator policies' });
      await opTable.getByText('max-length-bytes: 1000').waitFor();
      expect(((await apiCall(env.ui.base, 'GET', '/api/operator-policies/%2F/e2e-op')) as { definition: unknown }).definition).toEqual({ 'max-length-bytes': 1000 });

      await opTable.getByRole('row').filter({ hasText: 'e2e-op' }).getByRole('button', { name: 'Delete' }).click();
      await opTable.getByText('No operator policies.').waitFor();
      await w.page.getByRole('navigation', { name: 'Policy kind' }).getByRole('link', { name: 'Policies', exact: true }).click();
      await row.getByRole('button', { name: 'Delete' }).click();
      await table.getByText('No policies.').waitFor();
      expect(await apiCall(env.ui.base, 'GET', '/api/policies')).toEqual([]);
      expect(await apiCall(env.ui.base, 'GET', '/api/operator-policies')).toEqual([]);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
