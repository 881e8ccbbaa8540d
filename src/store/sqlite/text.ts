import { decodeBytes, encodeString } from '../../protocol/utf8';

/*
 * A message's exchange and routing key are the bytes its publisher sent (protocol/utf8.ts keeps bytes that are not
 * UTF-8 as escapes in the string). SQLite TEXT would store such a string lossily, so one that is not well formed is
 * stored as a BLOB of its bytes, and read back into the same string. Every other string stays TEXT.
 */

/** What to bind for a name column: the string itself, or its bytes when TEXT could not hold it exactly. */
export function nameColumn(name: string): string | Buffer {
  return name.isWellFormed() ? name : encodeString(name);
}

/** The name a column read back holds (see nameColumn). */
export function nameOf(column: string | Buffer): string {
  return typeof column === 'string' ? column : decodeBytes(column, 0, column.length);
}
