/**
 * Field tables checked and skipped without decoding: skipFieldValue steps over one value, checkTable tells whether
 * readTable (field-table.ts) would accept a table. Both use readValue's sizes and error words, and allocate nothing.
 */
import { MAX_NESTING, type FieldTable, type FieldValue } from './field-value';

/**
 * Past the field value (type octet and value) at offset, without decoding it: the types readValue knows, with the
 * same sizes. -1 for a type readValue would refuse, or a value running past end.
 */
export function skipFieldValue(buf: Buffer, offset: number, end: number): number {
  let at = offset + 1;
  switch (buf[offset]) {
    case 0x56: // V
      break;
    case 0x74: // t
    case 0x62: // b
    case 0x42: // B
      at += 1;
      break;
    case 0x73: // s
    case 0x75: // u
      at += 2;
      break;
    case 0x49: // I
    case 0x69: // i
    case 0x66: // f
      at += 4;
      break;
    case 0x44: // D
      at += 5;
      break;
    case 0x6c: // l
    case 0x4c: // L
    case 0x64: // d
    case 0x54: // T
      at += 8;
      break;
    case 0x53: // S
    case 0x78: // x
    case 0x41: // A
    case 0x46: // F
      if (at + 4 > end) return -1;
      at += 4 + buf.readUInt32BE(at);
      break;
    default:
      return -1;
  }
  return at <= end ? at : -1;
}

/**
 * Whether readTable would accept the table whose 4-byte length prefix is at offset and which must end at or before
 * end: undefined when it would, else what is wrong (the same words readTable's error would use). Walks the entries
 * without decoding or allocating; nesting is bounded by MAX_NESTING, so the recursion is too.
 */
export function checkTable(buf: Buffer, offset: number, end: number, maxDepth = MAX_NESTING): string | undefined {
  if (end > buf.length) end = buf.length;
  if (offset + 4 > end) return 'field table: truncated table length';
  const length = buf.readUInt32BE(offset);
  if (length > end - offset - 4) return `field table: table length ${length} exceeds the available data`;
  return checkEntries(buf, offset + 4, offset + 4 + length, 0, true, Math.min(maxDepth, MAX_NESTING));
}

/** The type octets readValue knows. */
const KNOWN_TYPES: readonly number[] = [...'tbBsuIilLfdDSxATFV'].map((c) => c.charCodeAt(0));

function checkEntries(buf: Buffer, at: number, stop: number, depth: number, keyed: boolean, maxDepth: number): string | undefined {
  if (depth > maxDepth) return `field table: nested deeper than ${maxDepth}`;
  while (at < stop) {
    if (keyed) {
      at += 1 + (buf[at] as number);
      if (at > stop) return 'field table: truncated key';
    }
    if (at >= stop) return 'field table: truncated value type';
    const type = buf[at] as number;
    if (type === 0x46 || type === 0x41) {
      // F, A
      if (at + 5 > stop) return `field table: truncated ${type === 0x46 ? 'table' : 'array'} length`;
      const length = buf.readUInt32BE(at + 1);
      const start = at + 5;
      if (length > stop - start) return `field table: ${type === 0x46 ? 'table' : 'array'} length ${length} exceeds the available data`;
      const inner = checkEntries(buf, start, start + length, depth + 1, type === 0x46, maxDepth);
      if (inner !== undefined) return inner;
      at = start + length;
      continue;
    }
    const next = skipFieldValue(buf, at, stop);
    if (next < 0) {
      return KNOWN_TYPES.includes(type)
        ? 'field table: truncated value'
        : `field table: unknown field type 0x${type.toString(16).padStart(2, '0')}`;
    }
    at = next;
  }
  return undefined;
}

/**
 * Whether a decoded table nests tables and arrays deeper than `maxDepth` (counted as the decoder counts: a table
 * or array inside the top-level table is depth 1). For limits below the codec's own MAX_NESTING.
 */
export function tableDeeperThan(table: FieldTable, maxDepth: number): boolean {
  for (const key in table) if (valueDeeperThan(table[key], 0, maxDepth)) return true;
  return false;
}

function valueDeeperThan(value: FieldValue | undefined, depth: number, maxDepth: number): boolean {
  if (Array.isArray(value)) {
    if (depth + 1 > maxDepth) return true;
    for (const item of value) if (valueDeeperThan(item, depth + 1, maxDepth)) return true;
    return false;
  }
  if (isNestedTable(value)) {
    if (depth + 1 > maxDepth) return true;
    for (const key in value) if (valueDeeperThan(value[key], depth + 1, maxDepth)) return true;
  }
  return false;
}

/** A nested table: a plain object, not Buffer, Date or one of the wrapper classes. */
function isNestedTable(value: FieldValue | undefined): value is FieldTable {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
