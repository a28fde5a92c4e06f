import { getToken } from './api';

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Server-sent events read with fetch, because EventSource cannot send the Authorization header.
 * Each `data:` message calls `onEvent`; the connection is made again after a drop, backing off up
 * to 30 s. The returned function stops it.
 */
export function subscribe(query: Record<string, string>, onEvent: (data: unknown) => void, onState: (state: LiveState) => void): () => void {
  const controller = new AbortController();
  let delay = 1000;
  const url = `/api/v1/events/stream?${new URLSearchParams(query).toString()}`;

  const connect = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      onState('connecting');
      try {
        const token = getToken();
        const response = await fetch(url, {
          headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
        onState('live');
        delay = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
            const data = message
              .split(/\r?\n/)
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).replace(/^ /, ''))
              .join('\n');
            if (!data) continue;
            let parsed: unknown = data;
            try {
              parsed = JSON.parse(data);
            } catch {
              // a plain-text message is still a signal that something changed
            }
            onEvent(parsed);
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      if (controller.signal.aborted) return;
      onState('offline');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void connect();
  return () => controller.abort();
}
