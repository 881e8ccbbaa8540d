import { Decimal, Float32, type FieldTable, type FieldValue } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/**
 * Headers exchange, with RabbitMQ's semantics (rabbit_exchange_type_headers.erl):
 *  - the binding argument `x-match` is `all` (the default when absent), `any`, `all-with-x` or `any-with-x`;
 *  - the `x-match` argument itself never takes part in matching; other arguments whose name starts with `x-`
 *    are ignored too, except in the `-with-x` modes;
 *  - an argument with a void value (null) matches when the header is present, whatever its value; otherwise
 *    the header must be present with an equal value;
 *  - `all` matches when every remaining argument matches (so no remaining arguments match every message);
 *    `any` when at least one does (so no remaining arguments match nothing);
 *  - values compare like Erlang's `==` on the decoded terms: the AMQP type tags are ignored, numbers compare
 *    numerically (1 == 1.0 == 1n), strings and byte arrays compare by bytes (a longstr equals a bytearray
 *    with the same bytes), booleans only equal booleans, timestamps equal the integer number of seconds.
 *  - messages without headers are matched as if they had an empty table.
 *
 * Route is O(bindings * arguments per binding); a binding whose destination is already in `out` is skipped.
 */

type MatchMode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

const MATCH_MODES: ReadonlySet<string> = new Set<MatchMode>(['all', 'any', 'all-with-x', 'any-with-x']);

interface CompiledBinding<D> {
  readonly destination: D;
  readonly routingKey: string;
  readonly arguments: FieldTable;
  readonly any: boolean;
  /** The arguments that take part in matching. */
  readonly keys: readonly string[];
  readonly values: readonly FieldValue[];
}

const hasOwn = Object.prototype.hasOwnProperty;

function compile<D>(binding: BindingSpec<D>): CompiledBinding<D> {
  const args = binding.arguments;
  const xMatch = hasOwn.call(args, 'x-match') ? args['x-match'] : undefined;
  // Anything unrecognised (only possible if validation was skipped, e.g. for old definitions) means `all`,
  // as in RabbitMQ's parse_x_match/1.
  const mode: MatchMode = typeof xMatch === 'string' && MATCH_MODES.has(xMatch) ? (xMatch as MatchMode) : 'all';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const keys: string[] = [];
  const values: FieldValue[] = [];
  for (const key of Object.keys(args)) {
    if (key === 'x-match') continue;
    if (!withX && key.startsWith('x-')) continue;
    keys.push(key);
    values.push(args[key] as FieldValue);
  }
  return {
    destination: binding.destination,
    routingKey: binding.routingKey,
    arguments: args,
    any: mode === 'any' || mode === 'any-with-x',
    keys,
    values,
  };
}

const EMPTY_TABLE: FieldTable = Object.freeze({}) as FieldTable;

function matches(binding: CompiledBinding<unknown>, headers: FieldTable): boolean {
  const { keys, values, any } = binding;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const expected = values[i] as FieldValue;
    const present = hasOwn.call(headers, key);
    const voidPattern = expected === null || expected === undefined;
    const ok = present && (voidPattern || fieldValuesEqual(expected, headers[key] as FieldValue));
    if (any) {
      if (ok) return true;
    } else if (!ok) {
      return false;
    }
  }
  return !any;
}

class HeadersMatcher<D> implements Matcher<D> {
  private bindings: CompiledBinding<D>[] = [];

  add(binding: BindingSpec<D>): void {
    this.bindings.push(compile(binding));
  }

  remove(binding: BindingSpec<D>): void {
    const index = this.bindings.findIndex(
      (b) =>
        b.destination === binding.destination &&
        b.routingKey === binding.routingKey &&
        fieldTablesIdentical(b.arguments, binding.arguments),
    );
    if (index >= 0) this.bindings.splice(index, 1);
  }

  removeDestination(destination: D): void {
    this.bindings = this.bindings.filter((b) => b.destination !== destination);
  }

  route(_routingKey: string, headers: FieldTable | undefined, out: Set<D>): void {
    const table = headers ?? EMPTY_TABLE;
    const bindings = this.bindings;
    for (let i = 0; i < bindings.length; i++) {
      const binding = bindings[i] as CompiledBinding<D>;
      if (out.has(binding.destination)) continue;
      if (matches(binding, table)) out.add(binding.destination);
    }
  }
}

function validateBindingArguments(args: FieldTable): string | undefined {
  if (!hasOwn.call(args, 'x-match')) return undefined;
  const value = args['x-match'] as FieldValue;
  if (typeof value === 'string') {
    if (MATCH_MODES.has(value)) return undefined;
    return `Invalid x-match field value ${formatErlangTerm(value)}; expected all, any, all-with-x, or any-with-x`;
  }
  return `Invalid x-match field type ${erlangTypeName(value)} (value ${formatErlangTerm(value)}); expected longstr`;
}

export const headersExchangeType: ExchangeType = {
  name: 'headers',
  delayed: false,
  createMatcher<D>(): Matcher<D> {
    return new HeadersMatcher<D>();
  },
  validateBindingArguments,
  needsHeaders: () => true,
};

// ---------------------------------------------------------------------------------------------------------
// Value comparison

function isTable(value: FieldValue): value is FieldTable {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !(value instanceof Date) &&
    !(value instanceof Decimal) && !(value instanceof Float32) && !Array.isArray(value);
}

function bytesEqualString(bytes: Buffer, text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === bytes.length && bytes.equals(Buffer.from(text, 'utf8'));
}

function numericEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  const n = (typeof a === 'number' ? a : b) as number;
  const big = (typeof a === 'bigint' ? a : b) as bigint;
  return Number.isInteger(n) && BigInt(n) === big;
}

/** A timestamp is an integer number of seconds in RabbitMQ, so it compares numerically. */
function timestampSeconds(value: FieldValue): number | bigint | undefined {
  if (value instanceof Date) return value.getTime() / 1000;
  return typeof value === 'number' || typeof value === 'bigint' ? value : undefined;
}

/** Erlang `==` on the decoded values, ignoring AMQP type tags (see the header comment). */
export function fieldValuesEqual(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
    return numericEqual(a as number | bigint, b as number | bigint);
  }
  if (a instanceof Date || b instanceof Date) {
    const sa = timestampSeconds(a);
    const sb = timestampSeconds(b);
    return sa !== undefined && sb !== undefined && numericEqual(sa, sb);
  }
  // Strings and byte arrays are both Erlang binaries. (Two equal strings were caught by `a === b`.)
  if (typeof a === 'string') return Buffer.isBuffer(b) && bytesEqualString(b, a);
  if (Buffer.isBuffer(a)) {
    if (typeof b === 'string') return bytesEqualString(a, b);
    return Buffer.isBuffer(b) && a.equals(b);
  }
  if (a instanceof Float32 || b instanceof Float32) {
    // {float, V} in RabbitMQ: equal only to a float of the same value.
    return a instanceof Float32 && b instanceof Float32 && a.value === b.value;
  }
  if (a instanceof Decimal || b instanceof Decimal) {
    // {decimal, {Scale, Value}} in RabbitMQ: equal only to a decimal with the same scale and digits.
    return a instanceof Decimal && b instanceof Decimal && a.places === b.places && a.digits === b.digits;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!fieldValuesEqual(a[i] as FieldValue, b[i] as FieldValue)) return false;
    return true;
  }
  if (isTable(a) && isTable(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const key of ka) {
      if (!hasOwn.call(b, key) || !fieldValuesEqual(a[key] as FieldValue, b[key] as FieldValue)) return false;
    }
    return true;
  }
  return false;
}

/** Strict equality of argument tables (same JS types as well as values), used to find a binding to remove. */
function fieldTablesIdentical(a: FieldTable, b: FieldTable): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const key of ka) {
    if (!hasOwn.call(b, key) || !fieldValuesIdentical(a[key] as FieldValue, b[key] as FieldValue)) return false;
  }
  return true;
}

function fieldValuesIdentical(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (typeof a === 'number') return Number.isNaN(a) && Number.isNaN(b as number);
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Decimal) return b instanceof Decimal && a.places === b.places && a.digits === b.digits;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!fieldValuesIdentical(a[i] as FieldValue, b[i] as FieldValue)) return false;
    return true;
  }
  if (isTable(a) && isTable(b)) return fieldTablesIdentical(a, b);
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Error texts, worded like RabbitMQ's (which prints the offending term with io_lib's ~tp).

function erlangTypeName(value: FieldValue): string {
  if (value === null) return 'void';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'long';
    case 'number':
      // The names of the types our encoder writes for a JS number.
      if (!Number.isInteger(value)) return 'double';
      return value >= -0x80000000 && value <= 0x7fffffff ? 'signedint' : 'long';
    case 'string':
      return 'longstr';
    default:
      if (Buffer.isBuffer(value)) return 'binary';
      if (value instanceof Date) return 'timestamp';
      if (value instanceof Decimal) return 'decimal';
      if (value instanceof Float32) return 'float';
      if (Array.isArray(value)) return 'array';
      return 'table';
  }
}

const ERLANG_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\b': '\\b', '\f': '\\f',
  '\x1b': '\\e',
};

function formatErlangBinary(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const roundTrips = Buffer.from(text, 'utf8').equals(bytes);
  // eslint-disable-next-line no-control-regex
  const printable = roundTrips && !/[\x00-\x07\x0e-\x1a\x1c-\x1f\x7f-\x9f]/.test(text);
  if (!printable) return `<<${[...bytes].join(',')}>>`;
  const escaped = text.replace(/["\\\n\r\t\v\b\f\x1b]/g, (c) => ERLANG_ESCAPES[c] ?? c);
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? `<<"${escaped}"/utf8>>` : `<<"${escaped}">>`;
}

function formatErlangTerm(value: FieldValue): string {
  if (value === null) return 'undefined';
  if (typeof value === 'string') return formatErlangBinary(Buffer.from(value, 'utf8'));
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : erlangFloat(value);
  if (Buffer.isBuffer(value)) return formatErlangBinary(value);
  if (value instanceof Date) return String(Math.floor(value.getTime() / 1000));
  if (value instanceof Decimal) return `{${value.places},${value.digits}}`;
  if (value instanceof Float32) return erlangFloat(value.value);
  if (Array.isArray(value)) return `[${value.map((v) => `{${erlangTypeName(v)},${formatErlangTerm(v)}}`).join(',')}]`;
  return `[${Object.keys(value)
    .map((k) => {
      const v = value[k] as FieldValue;
      return `{${formatErlangBinary(Buffer.from(k, 'utf8'))},${erlangTypeName(v)},${formatErlangTerm(v)}}`;
    })
    .join(',')}]`;
}

function erlangFloat(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
