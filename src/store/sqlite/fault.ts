import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/*
 * A fault-injection point for the tests of a store that cannot write (conformance-tests/durability/store-failure):
 * no test can fill a real disk here. With LEVERET_STORE_FAULT_FILE set when the process (or the writer thread)
 * starts, every batch first reads that file: "full" fails the batch as SQLite does on a full disk (SQLITE_FULL),
 * "crash" ends the writer thread (on the main thread, "crash" is "full"); a missing or empty file injects nothing.
 * Unset, which production never sets, it costs one comparison per batch.
 */
const FAULT_FILE = process.env['LEVERET_STORE_FAULT_FILE'] || undefined;

/** Throws (or ends the writer thread) when the fault file asks for it. */
export function injectedFault(): void {
  if (FAULT_FILE === undefined) return;
  let fault: string;
  try {
    fault = readFileSync(FAULT_FILE, 'utf8').trim();
  } catch {
    return;
  }
  if (fault === 'crash' && !isMainThread) process.exit(70);
  if (fault === 'full' || fault === 'crash') {
    throw Object.assign(new Error('database or disk is full (injected by LEVERET_STORE_FAULT_FILE)'), { code: 'SQLITE_FULL' });
  }
}
