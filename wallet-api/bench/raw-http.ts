/**
 * A minimal HTTP/1.1 keep-alive client for the measured requests: one request at a time per
 * socket, responses read by Content-Length (what Koa sends for a JSON body). node:http costs the
 * client about 120 µs of CPU per request on the 2-core box and fetch more; this costs a fraction,
 * and every microsecond the load generator spends is taken from the server it measures.
 */
import { connect, type Socket } from 'node:net';

/** Largest response accepted, bytes: a movement or a problem document is far below. */
const responseBytesMax = 1024 * 1024;

export interface RawResponse {
  status: number;
  body: string;
}

export interface RawConnection {
  post(path: string, headers: Record<string, string>, body: string): Promise<RawResponse>;
  close(): void;
}

export async function openRawConnection(port: number): Promise<RawConnection> {
  const socket: Socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer: Buffer = Buffer.alloc(0);
  let pending: { resolve: (r: RawResponse) => void; reject: (e: unknown) => void } | undefined;
  const fail = (error: unknown) => {
    const p = pending;
    pending = undefined;
    p?.reject(error);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const headEnd = buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = buffer.subarray(0, headEnd).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
    if (!Number.isSafeInteger(length) || length > responseBytesMax) {
      fail(new Error(`response without a usable Content-Length: ${head.split('\r\n')[0]}`));
      socket.destroy();
      return;
    }
    if (buffer.length < headEnd + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headEnd + 4 + length);
    const p = pending;
    pending = undefined;
    p?.resolve({ status, body });
  });
  return {
    post(path, headers, body) {
      if (pending) return Promise.reject(new Error('one request at a time per connection'));
      let text = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
      for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(`${text}\r\n${body}`);
      });
    },
    close: () => socket.destroy(),
  };
}
