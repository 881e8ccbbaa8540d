import type { Logger } from 'pino';
import type { Store } from '../store/store';
import type { ResourceAlarms } from './alarms';

/** How long store writes may keep failing before the broker gives the store up. */
export const STORE_GIVE_UP_MS = 60_000;

export interface StoreWatchOptions {
  /** Called once when the store can write no more; main.ts exits non-zero (a supervisor restarts the broker). */
  readonly onFatal?: ((err: Error) => void) | undefined;
  /** How long writes may keep failing before that; STORE_GIVE_UP_MS when absent. */
  readonly giveUpMs?: number | undefined;
}

/**
 * A store that cannot write (disk full, I/O errors) raises the disk alarm: publishers are blocked, and persistent
 * publishes that still arrive are refused (channel/publish.ts); failed batches wait for their retry, unconfirmed.
 * The alarm clears when a batch is written again. A store that can write no more (its writer thread is gone, or its
 * writes kept failing for giveUpMs) is fatal: logged, then onFatal. Nothing confirmed is lost either way: a confirm
 * goes out only after its commit.
 */
export function watchStoreWrites(store: Store, alarms: ResourceAlarms, logger: Logger, options: StoreWatchOptions): void {
  const giveUpMs = options.giveUpMs ?? STORE_GIVE_UP_MS;
  let giveUp: NodeJS.Timeout | undefined;
  let fatal = false;
  const die = (reason: string): void => {
    if (fatal) return;
    fatal = true;
    if (giveUp !== undefined) clearTimeout(giveUp);
    const err = new Error(`the store can write no more: ${reason}`);
    logger.fatal({ reason }, 'the store can write no more: confirmed messages are on disk, nothing new can be stored');
    options.onFatal?.(err);
  };
  store.onWriteHealth?.({
    writeFailed: (error) => {
      alarms.storeFailing(error);
      if (giveUp !== undefined) return;
      giveUp = setTimeout(() => die(`writes kept failing for ${giveUpMs / 1000} s: ${error}`), giveUpMs);
      giveUp.unref();
    },
    writeRecovered: () => {
      if (giveUp !== undefined) clearTimeout(giveUp);
      giveUp = undefined;
      if (!fatal) alarms.storeFailing(undefined);
    },
    writerDead: (error) => {
      alarms.storeFailing(error);
      die(error);
    },
  });
}
