import { Decimal, Float32, encodeTable, type FieldTable, type FieldValue } from '../protocol/field-table';

/*
 * Identity of a binding's arguments. Two argument tables that tablesEqual() calls equal (key order ignored,
 * 5 and 5n the same) must name the same binding, so the key is the field-table encoding of a canonical copy:
 * keys sorted at every level, safe-integer bigints turned into numbers. The stored arguments keep their original form.
 */
export function canonicalArgumentsKey(table: FieldTable): Buffer {
  return encodeTable(canonicalTable(table));
}

function canonicalTable(table: FieldTable): FieldTable {
  const out: FieldTable = {};
  const keys = Object.keys(table).sort();
  for (const key of keys) {
    const value = canonicalValue(table[key] ?? null);
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = value;
    }
  }
  return out;
}

function canonicalValue(value: FieldValue): FieldValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Date || value instanceof Decimal || value instanceof Float32) return value;
  if (Array.isArray(value)) return value.map(canonicalValue);
  return canonicalTable(value);
}
