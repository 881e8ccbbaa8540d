import { MAX_NESTING, type FieldTable } from '../protocol/field-table';
import { nestedDeeperThan } from '../admin/json';
import { Errors } from './errors';

/*
 * Request JSON the API checks before the administrative service sees it. (The JSON shapes of the API's objects are
 * built by admin/views/.)
 */

/**
 * Refuses (400) a JSON value nested deeper than an AMQP field table may be (MAX_NESTING, the codec's limit): queue,
 * exchange and binding arguments, message headers, policy definitions and runtime parameter values, which the API
 * stores and lists back. `what` names it in the reason.
 */
export function checkNesting(value: unknown, what: string): void {
  if (nestedDeeperThan(value, MAX_NESTING)) throw Errors.badRequest(`${what} is nested deeper than ${MAX_NESTING} levels`);
}

/** A JSON object from a request body as a field table (JSON values are all valid field values); 400 when too deep. */
export function jsonToFieldTable(value: unknown, what = 'arguments'): FieldTable {
  if (value === null || value === undefined) return {};
  checkNesting(value, what);
  return value as FieldTable;
}
