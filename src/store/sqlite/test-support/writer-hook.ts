/**
 * A jest setup file (jest.config.cjs, setupFiles): jest compiles TypeScript in its own module registry, which a
 * worker thread does not share, so a SqliteStore started from the sources under jest gives its writer thread this
 * require hook to load writer-main.ts with. Production runs the compiled writer-main.js and never loads it.
 */
import path from 'node:path';
import { setWriterTypeScriptHook } from '../thread-writer';

setWriterTypeScriptHook(path.join(__dirname, 'ts-hook.cjs'));
