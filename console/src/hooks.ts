import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from './api';
import { type LiveState, subscribe } from './live';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Loads `load()` whenever `key` changes (and on reload); an older answer never overwrites a newer one. */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((previous) => ({ data: previous.data, error: errorMessage(error), loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Follows the event stream and calls `onChange` at most every `debounceMs` while events arrive:
 * a burst of events is one refetch.
 */
export function useLive(query: Record<string, string> | null, onChange: () => void, debounceMs = 400): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const key = query ? new URLSearchParams(query).toString() : '';
  useEffect(() => {
    if (!key) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = subscribe(
      Object.fromEntries(new URLSearchParams(key)),
      () => {
        if (timer !== undefined) return;
        timer = setTimeout(() => {
          timer = undefined;
          onChangeRef.current();
        }, debounceMs);
      },
      setState,
    );
    return () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, debounceMs]);
  return state;
}
