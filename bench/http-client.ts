/**
 * The benches' light HTTP/1.1 client: keep-alive connections over node:net, one request at a time
 * on each, the constant part of a request's head (method, path, host, the fixed headers) encoded
 * once, the answer read by its Content-Length (what Koa sends for a JSON body). node:http's client
 * (an Agent, ClientRequest and IncomingMessage objects, header validation and parsing per request)
 * cost a bench driver 120-350 us of CPU a request on the 2-core box, where the server it measured
 * spends a few hundred: every microsecond the driver spends is taken from the server and the broker
 * on the same cores. Used by ingest-api's and wallet-api's benches; not a general client (no
 * chunked answers, no redirects, POST only).
 */
import { connect, type Socket } from 'node:net';

/** Most connections open at once by default (the bound of the node:http Agent it replaced). */
export const httpClientConnectionsMax = 128;
/** Longest answer head read, in bytes (a head this long is a bug on one side or the other). */
export const answerHeadBytesMax = 16_384;
/** Largest answer body accepted, in bytes: the benches' answers are far below. */
export const answerBodyBytesMax = 1024 * 1024;

export interface Answer {
  status: number;
  text: string;
}

export interface HttpClient {
  /**
   * POST `body` (JSON text) to `path` with the client's fixed headers and `headers`; resolves with
   * the answer's status and text. Requests beyond the open connections wait in order.
   */
  post(path: string, body: string, headers?: Record<string, string>): Promise<Answer>;
  /** Closes the idle connections; the ones in use close when their answer is read. */
  close(): void;
}

interface Pending {
  head: Buffer;
  tail: string;
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
}

interface Connection {
  socket: Socket;
  lastUsedMs: number;
  /** The request in flight on this connection, if any. */
  waiting?: Pending;
  chunks: Buffer[];
  received: number;
  /** The head's length and the body's once the head has arrived; -1 before. */
  headBytes: number;
  bodyBytes: number;
  status: number;
  closed: boolean;
}

const headEnd = Buffer.from('\r\n\r\n');
const contentLengthPattern = /\r\ncontent-length: *(\d+)/i;

const headerLinesOf = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');

/**
 * A client for one origin (`host`, `port`) with fixed request headers. `idleMsMax` drops a
 * connection idle that long before it is used again, so a request never goes out on a socket the
 * server is closing for its keep-alive timeout (set it a second below the server's).
 */
export function createHttpClient(options: {
  host: string;
  port: number;
  headers: Record<string, string>;
  idleMsMax: number;
  connectionsMax?: number;
}): HttpClient {
  const connectionsMax = options.connectionsMax ?? httpClientConnectionsMax;
  const idle: Connection[] = [];
  const queue: Pending[] = [];
  let open = 0;
  let closing = false;
  const fixedLines = headerLinesOf(options.headers);
  const heads = new Map<string, Buffer>();
  const headOf = (path: string) => {
    let head = heads.get(path);
    if (head === undefined) {
      head = Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nConnection: keep-alive\r\n${fixedLines}`,
        'latin1',
      );
      heads.set(path, head);
    }
    return head;
  };

  function finish(c: Connection, error?: Error): void {
    const waiting = c.waiting;
    c.waiting = undefined;
    if (error) {
      waiting?.reject(error);
      return;
    }
    const body = c.chunks.length === 1 ? c.chunks[0]! : Buffer.concat(c.chunks, c.received);
    const text = body.toString('utf8', c.headBytes, c.headBytes + c.bodyBytes);
    const rest = c.received - c.headBytes - c.bodyBytes;
    c.chunks = [];
    c.received = 0;
    c.headBytes = -1;
    if (rest !== 0) {
      c.socket.destroy();
      waiting?.reject(new Error('the server sent more than one answer to one request'));
      return;
    }
    c.lastUsedMs = performance.now();
    release(c);
    waiting?.resolve({ status: c.status, text });
  }

  /** Rejects the request in flight with `error` and closes its connection. */
  function abort(c: Connection, error: Error): void {
    finish(c, error);
    c.socket.destroy();
  }

  function onData(c: Connection, chunk: Buffer): void {
    if (c.waiting === undefined) {
      c.socket.destroy(); // nothing waits: the next request gets a new connection
      return;
    }
    c.chunks.push(chunk);
    c.received += chunk.length;
    if (c.headBytes < 0) {
      const all = c.chunks.length === 1 ? chunk : Buffer.concat(c.chunks, c.received);
      c.chunks = [all];
      const end = all.indexOf(headEnd);
      if (end < 0) {
        if (c.received > answerHeadBytesMax) abort(c, new Error('answer head too long'));
        return;
      }
      const head = all.toString('latin1', 0, end);
      const length = contentLengthPattern.exec(head);
      if (length === null) {
        abort(c, new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
        return;
      }
      const bodyBytes = Number(length[1]);
      if (bodyBytes > answerBodyBytesMax) {
        abort(c, new Error(`an answer body of ${length[1]} bytes, above the limit`));
        return;
      }
      c.status = Number(head.slice(9, 12));
      c.headBytes = end + headEnd.length;
      c.bodyBytes = bodyBytes;
    }
    if (c.received >= c.headBytes + c.bodyBytes) finish(c);
  }

  function newConnection(): Connection {
    const c: Connection = {
      socket: connect({ host: options.host, port: options.port, noDelay: true }),
      lastUsedMs: performance.now(),
      chunks: [],
      received: 0,
      headBytes: -1,
      bodyBytes: 0,
      status: 0,
      closed: false,
    };
    open++;
    c.socket.on('data', (chunk: Buffer) => onData(c, chunk));
    c.socket.on('error', () => undefined); // 'close' follows and rejects the request in flight
    c.socket.on('close', () => {
      c.closed = true;
      open--;
      const at = idle.indexOf(c);
      if (at >= 0) idle.splice(at, 1);
      finish(c, new Error('the connection closed before the answer'));
      pump();
    });
    return c;
  }

  function release(c: Connection): void {
    if (c.closed) return;
    if (closing) {
      c.socket.destroy();
      return;
    }
    idle.push(c);
    pump();
  }

  function take(): Connection | undefined {
    const now = performance.now();
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (now - c.lastUsedMs < options.idleMsMax) return c;
      c.socket.destroy();
    }
    return open < connectionsMax ? newConnection() : undefined;
  }

  function pump(): void {
    while (queue.length > 0) {
      const c = take();
      if (c === undefined) return;
      const next = queue.shift()!;
      c.waiting = next;
      c.socket.cork();
      c.socket.write(next.head);
      c.socket.write(next.tail);
      c.socket.uncork();
    }
  }

  return {
    post(path, body, headers) {
      if (closing) return Promise.reject(new Error('the client is closed'));
      const extra = headers === undefined ? '' : headerLinesOf(headers);
      const tail = `${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      return new Promise<Answer>((resolve, reject) => {
        queue.push({ head: headOf(path), tail, resolve, reject });
        pump();
      });
    },
    close() {
      closing = true;
      for (const c of idle.splice(0)) c.socket.destroy();
    },
  };
}
