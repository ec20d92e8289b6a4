/**
 * A minimal HTTP/1.1 keep-alive client for the measured requests: one request at a time per
 * socket, responses read by Content-Length (what Koa sends for a JSON body). node:http costs the
 * client about 120 µs of CPU per request on the 2-core box and fetch more; this costs a fraction,
 * and every microsecond the load generator spends is taken from the server it measures.
 *
 * The server closes a keep-alive socket after 5 s idle (between measurements, during the
 * baseline): the next request then opens a new one, and a request whose socket closed before any
 * response byte arrived is sent once more on a new socket.
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

class ClosedBeforeResponse extends Error {}

export async function openRawConnection(port: number): Promise<RawConnection> {
  let socket: Socket | undefined;
  let buffer: Buffer = Buffer.alloc(0);
  let pending: { resolve: (r: RawResponse) => void; reject: (e: unknown) => void } | undefined;
  let closing = false;
  const fail = (error: unknown) => {
    const p = pending;
    pending = undefined;
    p?.reject(error);
  };

  async function open(): Promise<Socket> {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    buffer = Buffer.alloc(0);
    s.on('error', fail);
    s.on('close', () => {
      if (socket === s) socket = undefined;
      fail(buffer.length === 0 ? new ClosedBeforeResponse() : new Error('connection closed'));
    });
    s.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = buffer.subarray(0, headEnd).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
      if (!Number.isSafeInteger(length) || length > responseBytesMax) {
        fail(new Error(`response without a usable Content-Length: ${head.split('\r\n')[0]}`));
        s.destroy();
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
    return s;
  }

  async function send(text: string): Promise<RawResponse> {
    if (socket === undefined || socket.destroyed) socket = await open();
    const s = socket;
    return new Promise((resolve, reject) => {
      pending = { resolve, reject };
      s.write(text);
    });
  }

  socket = await open();
  return {
    async post(path, headers, body) {
      if (pending) throw new Error('one request at a time per connection');
      if (closing) throw new Error('connection closed by the caller');
      let text = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
      for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
      text += `\r\n${body}`;
      try {
        return await send(text);
      } catch (error) {
        // Closed by the server's idle timeout as the request went out: once more, on a new socket.
        if (!(error instanceof ClosedBeforeResponse)) throw error;
        return send(text);
      }
    },
    close() {
      closing = true;
      socket?.destroy();
    },
  };
}
