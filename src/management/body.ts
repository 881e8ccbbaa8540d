import { Errors } from './errors';
import { nestedDeeperThan } from '../admin/json';

/**
 * The deepest request body accepted. The deepest legitimate one is a definitions file: the document, its queues
 * array, a queue, its arguments, and 64 levels in those (request-json.ts and admin/definitions/ check each of those at 64). Anything deeper is
 * refused before a route, a schema or an error message walks it.
 */
export const MAX_BODY_NESTING = 100;

/** RabbitMQ's body decoding (rabbit_mgmt_util:decode/1). */
export function parseJsonBody(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null' || trimmed === 'undefined') return {};
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw Errors.notJson();
  }
  if (typeof value === 'string') {
    throw Errors.badRequest(
      'invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?',
    );
  }
  if (typeof value === 'boolean') return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw Errors.notJson();
  if (nestedDeeperThan(value, MAX_BODY_NESTING)) throw Errors.badRequest(`the request body is nested deeper than ${MAX_BODY_NESTING} levels`);
  return value as Record<string, unknown>;
}
