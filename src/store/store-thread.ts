import fs from 'node:fs';
import path from 'node:path';
import { receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError } from './errors';

/*
 * What the broker's side of a store's thread (SQLite's writer thread, PostgreSQL's worker) does the same way for
 * both: starting the thread, and blocking on it.
 *
 * Blocking: the thread bumps a shared word (`signal`) after each message it posts; the caller Atomics.waits on that
 * word and takes the messages with receiveMessageOnPort, handing each to the store's handler (as a report that
 * arrived inside a store call), until its condition holds or the time limit passes.
 */

/** A StoreError STORE_IO for a write (or a wait for writes) that failed. */
export function writeError(detail: string): StoreError {
  return new StoreError('STORE_IO', `store write failed: ${detail}`);
}

/**
 * Blocks until done() holds, handling every message the thread posts meanwhile (handle). Throws
 * writeError(timeoutText) after limitMs.
 */
export function waitForThread(
  signal: Int32Array,
  port: MessagePort,
  handle: (message: unknown) => void,
  done: () => boolean,
  limitMs: number,
  timeoutText: string,
): void {
  const until = Date.now() + limitMs;
  for (;;) {
    const seen = Atomics.load(signal, 0);
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message);
    if (done()) return;
    const left = until - Date.now();
    if (left <= 0) throw writeError(timeoutText);
    Atomics.wait(signal, 0, seen, Math.min(left, 1000));
  }
}

export interface ThreadEntry {
  /** The folder of the entry module (the backend's __dirname). */
  readonly dir: string;
  /** The entry module's name without extension ('writer-main', 'worker-main'). */
  readonly name: string;
  /** A module to require first when the entry runs as TypeScript (see the backends' setters), or undefined. */
  readonly typeScriptHook: string | undefined;
  /**
   * What the thread posts when its entry cannot load, the way the entry itself reports a failed start: the message
   * type, and the text its `error` starts with (the load error's message follows).
   */
  readonly failure: { readonly type: string; readonly text: string };
}

/**
 * Starts the entry: the compiled .js next to the backend, or, when the backend runs as TypeScript, the .ts behind a
 * loader that reports a failure to load it on the port and bumps the signal, so that a blocking wait sees it.
 * `data` must carry `port` (transferred) and `signal` (the shared word).
 */
export function spawnStoreThread(entry: ThreadEntry, data: { port: MessagePort; signal: SharedArrayBuffer }): Worker {
  const js = path.join(entry.dir, `${entry.name}.js`);
  const options = { workerData: data, transferList: [data.port] };
  if (fs.existsSync(js)) return new Worker(js, options);
  const ts = path.join(entry.dir, `${entry.name}.ts`);
  const hook = entry.typeScriptHook === undefined ? '' : `require(${JSON.stringify(entry.typeScriptHook)});`;
  const { type, text } = entry.failure;
  const failed = `const { workerData } = require('node:worker_threads');
    workerData.port.postMessage({ type: ${JSON.stringify(type)}, error: ${JSON.stringify(text)} + (err && err.message) });
    const signal = new Int32Array(workerData.signal);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);`;
  const code = `try { ${hook} require(${JSON.stringify(ts)}); } catch (err) { ${failed} }`;
  return new Worker(code, { ...options, eval: true });
}
