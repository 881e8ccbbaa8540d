/**
 * Errors a Store raises. `code` is stable so the process entry can map it to an exit code and a one-line message:
 *
 *   STORE_LOCKED           another broker (process or store instance) holds the data directory
 *   STORE_CORRUPT          the database file is not a Leveret/SQLite database or is damaged
 *   STORE_UNREADABLE       the data directory or database file cannot be opened (permissions, a directory, ...)
 *   STORE_SCHEMA_TOO_NEW   the file was written by a newer Leveret
 *   STORE_IO               a write or read failed after open (disk full, I/O error)
 *   STORE_CLOSED           the store was used after close()
 */
export type StoreErrorCode =
  | 'STORE_LOCKED'
  | 'STORE_CORRUPT'
  | 'STORE_UNREADABLE'
  | 'STORE_SCHEMA_TOO_NEW'
  | 'STORE_IO'
  | 'STORE_CLOSED';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
