import { readFileSync } from 'node:fs';

/**
 * The process's limit on open file descriptors (the soft RLIMIT_NOFILE, which Node raises to the hard limit at
 * start), read from /proc/self/limits on Linux. Undefined where that file does not exist or says "unlimited".
 */
export function openFilesLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return undefined;
  const limit = Number(soft);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}
