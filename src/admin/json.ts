import { Decimal, Float32, MAX_NESTING, WideTimestamp, type FieldTable, type FieldValue } from '../protocol/field-table';

/*
 * JSON as the administrative service shows AMQP values: field tables and stored values (policy definitions, runtime
 * parameters) with a bound on nesting, so one object cannot make a listing fail for everyone.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What a table or array nested deeper than MAX_NESTING shows as. Nothing can store one any more (the codec refuses
 * it on the wire, the API at the door), but a store written before may hold one, and rendering it whole would
 * recurse without bound, and JSON.stringify with it: a listing must answer whatever is stored.
 */
export const TOO_DEEP = `(nested deeper than ${MAX_NESTING} levels)`;

/**
 * An AMQP field value as JSON: bigints outside the safe range become strings, bytes utf8, timestamps seconds.
 * `depth` is the nesting of the table or array holding the value (0 for a top-level table's values).
 */
export function fieldValueToJson(value: FieldValue, depth = 0): Json {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    default:
      break;
  }
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof WideTimestamp) return fieldValueToJson(value.seconds, depth);
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (value instanceof Decimal) return value.digits / 10 ** value.places;
  if (value instanceof Float32) return Number.isFinite(value.value) ? value.value : String(value.value);
  if (depth + 1 > MAX_NESTING) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => fieldValueToJson(v, depth + 1));
  return fieldTableToJson(value, depth + 1);
}

/** A field table as JSON; tables and arrays nested deeper than MAX_NESTING show as TOO_DEEP. */
export function fieldTableToJson(table: FieldTable, depth = 0): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(table)) out[key] = fieldValueToJson(table[key] as FieldValue, depth);
  return out;
}

/**
 * Whether a JSON value has objects or arrays nested more than `max` levels below itself (the value, when an object
 * or array, is level 0: the field-table codec counts the same way). Iterative, so any depth is safe to ask about.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop() as { value: unknown; depth: number };
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * A stored JSON value (a policy definition, a runtime parameter) to answer with: itself, unless something stored it
 * nested deeper than `max` levels; then a copy whose deeper objects and arrays show as TOO_DEEP.
 */
export function boundedJson(value: unknown, max = MAX_NESTING): Json {
  if (!nestedDeeperThan(value, max)) return value as Json;
  const copy = (v: unknown, depth: number): Json => {
    if (v === null || typeof v !== 'object') return v as Json;
    if (depth > max) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = copy(x, depth + 1);
    return out;
  };
  return copy(value, 0);
}
