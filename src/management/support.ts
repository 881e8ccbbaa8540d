import type {
  FastifyInstance,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  RouteShorthandOptions,
} from 'fastify';
import type { ManagementDeps } from './deps';
import { Errors } from './errors';

export { parseTags } from '../admin/tags';

type Handler<T extends RouteGenericInterface> = RouteHandlerMethod<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, T>;
type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';
const METHODS: readonly Method[] = ['GET', 'PUT', 'DELETE', 'POST'];

/** One resource's handlers by verb; `T` types their params, body and query as the route's schemas describe them. */
export type ResourceSpec<T extends RouteGenericInterface = RouteGenericInterface> = Partial<Record<Method, Handler<T>>>;

/** Route options: hooks, config and a schema; a verb's schema parts are added to those of `all`. */
type Options = Omit<RouteShorthandOptions, 'schema'> & { schema?: FastifySchema };

/**
 * Registers one resource: its handlers with their options, and 405 method_not_allowed (with an Allow header)
 * for the other verbs, as RabbitMQ's cowboy_rest resources answer.
 */
export function resource<T extends RouteGenericInterface = RouteGenericInterface>(
  app: FastifyInstance,
  url: string,
  handlers: ResourceSpec<T>,
  options: Partial<Record<Method, Options>> & { all?: Options } = {},
): void {
  const allowed = METHODS.filter((m) => handlers[m] !== undefined);
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  for (const method of METHODS) {
    const handler = handlers[method];
    if (handler === undefined) {
      app.route({
        method,
        url,
        handler: async (_request, reply) => {
          reply.header('allow', allow);
          throw Errors.methodNotAllowed();
        },
      });
      continue;
    }
    const schema = { ...options.all?.schema, ...options[method]?.schema };
    app.route<T>({ ...options.all, ...options[method], schema, method, url, handler });
  }
}

/** 404 as RabbitMQ answers for an unknown vhost named in the path. */
export function vhostOr404(deps: ManagementDeps, name: string): void {
  if (!deps.admin.entities.has(name)) throw Errors.objectNotFound();
}

/** RabbitMQ maps the exchange name "amq.default" in paths to the default exchange "". */
export function exchangeId(name: string): string {
  return name === 'amq.default' ? '' : name;
}

/** Query flags are "true" strings. */
export function flag(query: unknown, key: string): boolean {
  const value = (query as Record<string, unknown> | undefined)?.[key];
  return value === 'true' || value === true;
}

export const vhostParams = {
  type: 'object',
  properties: { vhost: { type: 'string' } },
  required: ['vhost'],
} as const;

export const vhostNameParams = {
  type: 'object',
  properties: { vhost: { type: 'string' }, name: { type: 'string', minLength: 1 } },
  required: ['vhost', 'name'],
} as const;

export const argumentsSchema = { type: 'object', additionalProperties: true } as const;
export const booleanish = { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] } as const;

/** true/false or "true"/"false" (RabbitMQ's parse_bool), with a default. */
export function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return value === true || value === 'true';
}
