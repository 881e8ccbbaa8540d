import type { FastifyInstance, InjectOptions } from 'fastify';
import { basic, GUEST } from './fixture';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * One request through app.inject, as guest unless other headers are given. A body is sent as JSON (a string as is)
 * with content-type application/json; the reply body is parsed as JSON, an empty one is undefined.
 */
export async function request(app: FastifyInstance, method: Method, url: string, body?: unknown, headers: Record<string, string> = GUEST) {
  const options: InjectOptions = { method, url, headers: { ...headers } };
  if (body !== undefined) {
    options.payload = typeof body === 'string' ? body : JSON.stringify(body);
    (options.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await app.inject(options);
  return { status: res.statusCode, headers: res.headers, body: res.body === '' ? undefined : (JSON.parse(res.body) as any) };
}

/** request() bound to an app that a beforeEach replaces: `app` is asked for it at each call. */
export function caller(app: () => FastifyInstance) {
  return (method: Method, url: string, body?: unknown, headers?: Record<string, string>) => request(app(), method, url, body, headers);
}

/** Basic credentials for a fixture user whose password is its name. */
export const as = (user: string) => ({ authorization: basic(user, user) });
