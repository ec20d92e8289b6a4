/**
 * Server-Sent Events over fetch: EventSource cannot send the Authorization header, so the stream is
 * read by hand. A dropped connection reconnects (at once when the browser comes back online, else
 * after the server's `retry` or a growing delay) and sends `Last-Event-ID`, so the server resumes
 * exactly after the last event seen.
 */
import { accessToken, url, type Service } from './api.js';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

/** Longest wait between reconnects, in ms. */
export const reconnectDelayMaxMs = 15_000;
/** First wait after a drop when the server named none. */
export const reconnectDelayDefaultMs = 1_000;
/**
 * A stream silent this long is taken for dead (analytics-api sends a comment every 15 s; a
 * half-open TCP connection after a network change stays silent forever) and reopened.
 */
export const silenceMaxMs = 45_000;
/** How often the silence is checked. */
const watchdogIntervalMs = 5_000;
/** A line longer than this ends the stream (a broken server must not fill memory). */
export const sseBufferCharsMax = 1_000_000;

/**
 * Splits `buffer` into complete events (the text/event-stream rules: `field: value` lines, a blank
 * line ends an event, comments start with `:`, CRLF/LF/CR line ends) and returns what is left.
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const event: SseEvent = { event: 'message', data: '' };
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event.event = value;
      else if (field === 'id' && !value.includes('\0')) event.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
      else continue;
      any = true;
    }
    if (!any) continue;
    event.data = data.join('\n');
    events.push(event);
  }
  return { events, rest };
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'unavailable';

export interface StreamOptions {
  onEvent(event: SseEvent): void;
  onState?(state: StreamState): void;
  /** Where to resume from (the last id seen by an earlier stream). */
  lastEventId?: string;
}

export interface StreamHandle {
  close(): void;
  /** The id of the last event received (to resume elsewhere). */
  lastEventId(): string | undefined;
}

/** Opens a resumable stream on `service` `path`. */
export function openStream(service: Service, path: string, options: StreamOptions): StreamHandle {
  let lastEventId = options.lastEventId;
  let closed = false;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = reconnectDelayDefaultMs;
  let serverRetry: number | undefined;

  const state = (s: StreamState) => options.onState?.(s);

  const schedule = () => {
    if (closed) return;
    state('reconnecting');
    // Offline: the online event reconnects.
    if (!navigator.onLine) return;
    clearTimeout(timer);
    timer = setTimeout(connect, serverRetry ?? delay);
    delay = Math.min(delay * 2, reconnectDelayMaxMs);
  };

  let lastActivity = Date.now();
  const onOnline = () => {
    if (closed) return;
    clearTimeout(timer);
    controller?.abort();
    delay = reconnectDelayDefaultMs;
    void connect();
  };
  // The browser knows the network went away: drop the stream now (it may otherwise hang half-open)
  // and reconnect, from the last event id, when it comes back.
  const onOffline = () => {
    if (closed) return;
    clearTimeout(timer);
    controller?.abort();
    state('reconnecting');
  };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  const watchdog = setInterval(() => {
    if (!closed && navigator.onLine && Date.now() - lastActivity > silenceMaxMs) onOnline();
  }, watchdogIntervalMs);

  async function connect(): Promise<void> {
    if (closed) return;
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    state('connecting');
    lastActivity = Date.now();
    try {
      const token = await accessToken();
      if (token === undefined) {
        state('closed');
        return;
      }
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
      };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await fetch(url(service, path), { headers, signal, cache: 'no-store' });
      if (response.status === 404) {
        state('unavailable');
        return;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        schedule();
        return;
      }
      state('open');
      delay = reconnectDelayDefaultMs;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastActivity = Date.now();
        buffer += value;
        const parsed = parseSse(buffer);
        buffer = parsed.rest;
        if (buffer.length > sseBufferCharsMax) break;
        for (const event of parsed.events) {
          if (event.retry !== undefined) serverRetry = event.retry;
          if (event.id !== undefined) lastEventId = event.id;
          if (event.data !== '' || event.event !== 'message') options.onEvent(event);
        }
      }
      schedule();
    } catch (error) {
      if (signal.aborted && closed) return;
      if ((error as Error).name === 'AbortError' && signal.aborted) return;
      schedule();
    }
  }

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      controller?.abort();
      clearInterval(watchdog);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      state('closed');
    },
    lastEventId: () => lastEventId,
  };
}
