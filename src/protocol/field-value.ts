/**
 * AMQP 0-9-1 field values as JavaScript sees them: the FieldValue and FieldTable types, the wrapper classes that
 * keep a wire type a plain JS value would lose (Decimal, Float32, WideTimestamp), the nesting bound, and the name
 * RabbitMQ's error texts give each type. The codec is in field-table.ts.
 */
export type FieldValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | Buffer
  | Date
  | Decimal
  | Float32
  | FieldValue[]
  | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

/** AMQP decimal: value = digits / 10^places. places is an octet, digits an unsigned 32-bit integer. */
export class Decimal {
  constructor(
    readonly places: number,
    readonly digits: number,
  ) {}
}

/**
 * A single-precision float (type octet f). Kept apart from JS numbers, which decode from doubles (d) and integers,
 * so the wire type survives: RabbitMQ names it in error texts ("expected integer, got float") and re-encoding a
 * table keeps it a float.
 */
export class Float32 {
  constructor(readonly value: number) {}
}


/**
 * A timestamp (type octet T) beyond what a Date can hold: the wire allows any unsigned 64-bit count of seconds.
 * It is a Date (an invalid one), so code that handles timestamps as Dates keeps working, and it keeps the exact
 * seconds, so writing it back gives the bytes that were read.
 */
export class WideTimestamp extends Date {
  constructor(readonly seconds: bigint) {
    super(Number.NaN);
  }
}

/** Deepest table/array nesting accepted on decode and produced on encode (guards the stack and cyclic input). */
export const MAX_NESTING = 64;

/**
 * RabbitMQ's name for a value's wire type, as its error texts print it. Decoded integers no longer carry their
 * width, so they are named by the smallest signed type that holds them, which is how amqplib encodes them.
 */
export function fieldTypeName(value: FieldValue): string {
  switch (typeof value) {
    case 'string':
      return 'longstr';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'long';
    case 'number':
      if (!Number.isInteger(value)) return 'double';
      if (value >= -128 && value <= 127) return 'byte';
      if (value >= -32768 && value <= 32767) return 'short';
      return value >= -0x80000000 && value <= 0x7fffffff ? 'signedint' : 'long';
    default:
      if (value === null) return 'void';
      if (Buffer.isBuffer(value)) return 'binary';
      if (value instanceof Date) return 'timestamp';
      if (value instanceof Decimal) return 'decimal';
      if (value instanceof Float32) return 'float';
      if (Array.isArray(value)) return 'array';
      return 'table';
  }
}
