/**
 * Equality of field tables and values, for argument-equivalence checks (queue.declare, exchange.declare, bindings).
 */
import { Decimal, Float32, MAX_NESTING, WideTimestamp, type FieldTable, type FieldValue } from './field-value';

/** Deep equality of two tables; key order is ignored, array order is not. 5 and 5n are equal; NaN equals NaN. */
export function tablesEqual(a: FieldTable, b: FieldTable): boolean {
  return tablesEqualAt(a, b, 0);
}

function ownKeyCount(t: FieldTable): number {
  let n = 0;
  for (const key in t) if (Object.prototype.hasOwnProperty.call(t, key)) n++;
  return n;
}

function tablesEqualAt(a: FieldTable, b: FieldTable, depth: number): boolean {
  if (a === b) return true;
  if (depth > MAX_NESTING) return false;
  if (ownKeyCount(a) !== ownKeyCount(b)) return false;
  for (const key in a) {
    if (!Object.prototype.hasOwnProperty.call(a, key)) continue;
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!valuesEqual(a[key], b[key], depth)) return false;
  }
  return true;
}

/** Deep equality of two field values, with the rules of tablesEqual. */
export function fieldValuesEqual(a: FieldValue, b: FieldValue): boolean {
  return valuesEqual(a, b, 0);
}

function valuesEqual(a: FieldValue | undefined, b: FieldValue | undefined, depth: number): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' && tb === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (ta === 'bigint' && tb === 'number') return Number.isInteger(b) && (a as bigint) === BigInt(b as number);
  if (ta === 'number' && tb === 'bigint') return Number.isInteger(a) && BigInt(a as number) === (b as bigint);
  if (ta !== 'object' || tb !== 'object' || a === null || b === null) return false;
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof WideTimestamp) return b instanceof WideTimestamp && a.seconds === b.seconds;
  if (a instanceof Date) return b instanceof Date && !(b instanceof WideTimestamp) && a.getTime() === b.getTime();
  if (a instanceof Decimal) return b instanceof Decimal && a.places === b.places && a.digits === b.digits;
  if (a instanceof Float32) return b instanceof Float32 && (a.value === b.value || (Number.isNaN(a.value) && Number.isNaN(b.value)));
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Buffer.isBuffer(b) || b instanceof Date || b instanceof Decimal || b instanceof Float32 || Array.isArray(b)) return false;
  return tablesEqualAt(a as FieldTable, b as FieldTable, depth + 1);
}
