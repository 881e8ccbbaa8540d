/*
 * Live refresh: every page's data reloads on one shared tick (5 s by default; the user picks 2, 5, 10, 30 s or off,
 * remembered in localStorage), paused while the tab is hidden. A reload replaces data, never what the user is typing:
 * forms keep their own state.
 */
import { signal } from '@preact/signals';
import { useEffect, useRef, useState } from 'preact/hooks';

export const REFRESH_CHOICES = [0, 2000, 5000, 10000, 30000] as const;
const KEY = 'leveret.refreshMs';

function initialRefresh(): number {
  const stored = Number(localStorage.getItem(KEY));
  return (REFRESH_CHOICES as readonly number[]).includes(stored) && localStorage.getItem(KEY) !== null ? stored : 5000;
}

export const refreshMs = signal<number>(initialRefresh());
export const tick = signal(0);

let timer: ReturnType<typeof setInterval> | undefined;
function schedule(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  if (refreshMs.value > 0) {
    timer = setInterval(() => {
      if (document.visibilityState === 'visible') tick.value++;
    }, refreshMs.value);
  }
}
schedule();

export function setRefresh(ms: number): void {
  refreshMs.value = ms;
  localStorage.setItem(KEY, String(ms));
  schedule();
}

export interface Live<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads again now (after a change the user made). */
  reload(): void;
}

/**
 * Loads `load()` when mounted, whenever `key` changes, and on every refresh tick. Answers that arrive out of order
 * are dropped (only the newest request's answer is shown). `key` is a string naming what is loaded (path + query).
 */
export function useLive<T>(load: () => Promise<T>, key: string): Live<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const seq = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const run = (): void => {
    const mine = ++seq.current;
    loader.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  };
  const t = tick.value;
  useEffect(() => {
    setState((s) => ({ ...s, loading: true }));
    run();
  }, [key]);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    run();
  }, [t]);
  return { ...state, reload: run };
}
