/**
 * The bench's light HTTP/1.1 client: keep-alive connections over node:net, one request at a time on
 * each, the request's constant head (method, path, host, content type, the 6.9 kB Authorization
 * header) encoded once, the answer read by its Content-Length. node:http's client (an Agent,
 * ClientRequest and IncomingMessage objects, header validation and parsing per request) cost the
 * driver about 280-350 us of CPU a single request on this 2-core box, where the server spends about
 * 550: the driver's CPU is taken from the server and the broker, so it held the measured rate down.
 * This client is the bench's default; `--driver=http` keeps node:http's.
 */
import { connect, type Socket } from 'node:net';

/** Most connections open at once (the same bound as the node:http Agent it replaces). */
export const socketClientConnectionsMax = 128;
/** Longest answer head read, in bytes (a head this long is a bug on one side or the other). */
export const answerHeadBytesMax = 16_384;

export interface Answer {
  status: number;
  text: string;
}

interface Connection {
  socket: Socket;
  lastUsedMs: number;
  /** The request in flight on this connection, if any. */
  waiting?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
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

/**
 * A client for one origin (`host`, `port`) and fixed request headers. `idleMsMax` drops a
 * connection idle that long before it is used again, so a request never goes out on a socket the
 * server is closing for its keep-alive timeout (set it a second below the server's).
 */
export function createSocketClient(options: {
  host: string;
  port: number;
  headers: Record<string, string>;
  idleMsMax: number;
}) {
  const idle: Connection[] = [];
  const queue: {
    head: Buffer;
    body: string;
    resolve: (a: Answer) => void;
    reject: (e: Error) => void;
  }[] = [];
  let open = 0;
  const headerLines = Object.entries(options.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const heads = new Map<string, Buffer>();
  const headOf = (path: string) => {
    let head = heads.get(path);
    if (head === undefined) {
      head = Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nConnection: keep-alive\r\n${headerLines}Content-Length: `,
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

  function onData(c: Connection, chunk: Buffer): void {
    if (c.waiting === undefined) {
      c.socket.destroy(new Error('the server sent bytes no request asked for'));
      return;
    }
    c.chunks.push(chunk);
    c.received += chunk.length;
    if (c.headBytes < 0) {
      const all = c.chunks.length === 1 ? chunk : Buffer.concat(c.chunks, c.received);
      c.chunks = [all];
      const end = all.indexOf(headEnd);
      if (end < 0) {
        if (c.received > answerHeadBytesMax) c.socket.destroy(new Error('answer head too long'));
        return;
      }
      const head = all.toString('latin1', 0, end);
      const length = contentLengthPattern.exec(head);
      if (length === null) {
        c.socket.destroy(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
        return;
      }
      c.status = Number(head.slice(9, 12));
      c.headBytes = end + headEnd.length;
      c.bodyBytes = Number(length[1]);
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
    return open < socketClientConnectionsMax ? newConnection() : undefined;
  }

  function pump(): void {
    while (queue.length > 0) {
      const c = take();
      if (c === undefined) return;
      const next = queue.shift()!;
      c.waiting = { resolve: next.resolve, reject: next.reject };
      c.socket.cork();
      c.socket.write(next.head);
      c.socket.write(`${Buffer.byteLength(next.body)}\r\n\r\n${next.body}`);
      c.socket.uncork();
    }
  }

  return {
    /** POST `body` (JSON text) to `path`; resolves with the answer's status and text. */
    post(path: string, body: string): Promise<Answer> {
      return new Promise<Answer>((resolve, reject) => {
        queue.push({ head: headOf(path), body, resolve, reject });
        pump();
      });
    },
    close(): void {
      for (const c of idle.splice(0)) c.socket.destroy();
    },
  };
}
