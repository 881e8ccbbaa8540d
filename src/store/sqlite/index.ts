/** The SQLite store: the one entry the composition root, the library entry and tests import it through. */
export { SqliteStore, type SqliteStoreCounters, type SqliteStoreOptions } from './store';
export { DB_FILE, PID_FILE } from './open';
