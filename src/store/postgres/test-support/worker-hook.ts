/**
 * A jest setup file (jest.config.cjs, setupFiles): a PostgresStore started from the sources under jest gives its
 * worker thread a require hook to load worker-main.ts with (jest's transform does not reach worker threads). The
 * hook is the SQLite writer thread's (an swc require hook), named by path: the two backends share no code.
 */
import path from 'node:path';
import { setWorkerTypeScriptHook } from '../channel';

setWorkerTypeScriptHook(path.join(__dirname, '..', '..', 'sqlite', 'test-support', 'ts-hook.cjs'));
