/**
 * What the SqliteStore's test files share: the contract fixture, temp dirs, a listener that records tokens, a
 * StoreError catcher, a hand clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@jest/globals';
import type { Clock, Timer } from '../../../util/clock';
import { StoreError } from '../../errors';
import type { CommitListener } from '../../store';
import type { StoreFixture } from '../../test-support/contract';
import { SqliteStore, type SqliteStoreOptions } from '../store';

export function tempDir(prefix = 'leveret-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh SqliteStore in a temp dir for the store contract; a restart closes it and opens the same dir again. */
export function contractFixture(prefix: string, options: Omit<SqliteStoreOptions, 'dataDir'> = {}): StoreFixture {
  const dataDir = tempDir(prefix);
  let current = SqliteStore.open({ ...options, dataDir });
  return {
    store: current,
    reopen: () => {
      void current.close();
      current = SqliteStore.open({ ...options, dataDir });
      return current;
    },
    cleanup: () => {
      void current.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    bodies: () => current.countRows('messages'),
  };
}

export class Calls implements CommitListener {
  readonly tokens: number[] = [];
  committed(token: number): void {
    this.tokens.push(token);
  }
}

/** Runs fn, which must throw a StoreError, and returns it. */
export function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

interface HandTimer extends Timer {
  readonly at: number;
  readonly callback: () => void;
}

/** A clock that moves only when told: advance() runs the timers that fall due, in order. */
export class HandClock implements Clock {
  private time = 0;
  private timers: HandTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: HandTimer = { at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next: HandTimer | undefined;
      for (const t of this.timers) if (t.at <= until && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}
