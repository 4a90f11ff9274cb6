import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  /** Loads again, keeping what is shown until the answer arrives. */
  readonly reload: () => Promise<void>;
  readonly setData: (update: (current: T | undefined) => T | undefined) => void;
}

/** Loads data for a page; a newer load (deps changed, reload) wins over an older one still in flight. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const controller = useRef<AbortController | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async () => {
    const mine = ++generation.current;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setLoading(true);
    try {
      const value = await loadRef.current(abort.signal);
      if (mine !== generation.current) return;
      setDataState(value);
      setError(undefined);
    } catch (e) {
      if (mine !== generation.current || (e instanceof DOMException && e.name === 'AbortError')) return;
      setError(describeError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(
    () => {
      void run();
      return () => controller.current?.abort();
    },
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
    deps,
  );

  const setData = useCallback((update: (current: T | undefined) => T | undefined) => setDataState(update), []);
  return { data, error, loading, reload: run, setData };
}

/** Calls `fn` every `ms` while the page is visible. */
export function useInterval(fn: () => void, ms: number | null): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (ms === null) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible') ref.current();
    }, ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

/** A value that follows `value` after it has been still for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setDebounced(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return debounced;
}

let pageTitle = 'Vigil';
let titleBadge = 0;
const applyTitle = () => {
  document.title = `${titleBadge > 0 ? `(${titleBadge}) ` : ''}${pageTitle} · Vigil`;
};

/** Sets document.title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    pageTitle = title;
    applyTitle();
  }, [title]);
}

/** The count of new critical alerts in front of the title, so a background tab shows it too. */
export function setTitleBadge(count: number): void {
  titleBadge = count;
  applyTitle();
}
