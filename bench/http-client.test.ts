import test, { type ExecutionContext } from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { answerBodyBytesMax, answerHeadBytesMax, createHttpClient } from './http-client.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A node:http server on a free loopback port; counts the connections it accepted. */
async function serve(handler: Handler) {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    server,
  };
}

const json = (response: ServerResponse, status: number, value: unknown) => {
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
};

/** A client of the server on `port` (no fixed headers unless given), closed after the test. */
const clientFor = (
  t: ExecutionContext,
  port: number,
  options: Partial<Parameters<typeof createHttpClient>[0]> = {},
) => {
  const client = createHttpClient({
    host: '127.0.0.1',
    port,
    headers: {},
    idleMsMax: 4_000,
    ...options,
  });
  t.teardown(() => client.close());
  return client;
};

test('posts the body with the fixed and the per-request headers and reads status and text', async (t) => {
  const s = await serve((request, body, response) =>
    json(response, 202, {
      path: request.url,
      method: request.method,
      auth: request.headers.authorization,
      key: request.headers['idempotency-key'] ?? null,
      type: request.headers['content-type'],
      body,
    }),
  );
  t.teardown(s.close);
  const client = clientFor(t, s.port, {
    headers: { 'content-type': 'application/json', authorization: 'Bearer fixed' },
  });
  const first = await client.post('/v1/things', '{"amount":"12","name":"café"}');
  t.is(first.status, 202);
  t.deepEqual(JSON.parse(first.text), {
    path: '/v1/things',
    method: 'POST',
    auth: 'Bearer fixed',
    key: null,
    type: 'application/json',
    body: '{"amount":"12","name":"café"}',
  });
  const second = await client.post('/v1/other', '{}', { 'idempotency-key': 'k-1' });
  t.is(second.status, 202);
  t.like(JSON.parse(second.text), { path: '/v1/other', key: 'k-1', auth: 'Bearer fixed' });
  t.is(s.connections(), 1, 'the second request reused the kept-alive connection');
});

test('never opens more than connectionsMax connections; the rest wait their turn in order', async (t) => {
  let inFlight = 0;
  let inFlightMax = 0;
  const s = await serve((_request, body, response) => {
    inFlight += 1;
    inFlightMax = Math.max(inFlightMax, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      json(response, 200, { body });
    }, 5);
  });
  t.teardown(s.close);
  const client = clientFor(t, s.port, { connectionsMax: 3 });
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.post('/', String(i))),
  );
  t.deepEqual(
    answers.map((a) => JSON.parse(a.text).body),
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
  t.is(s.connections(), 3);
  t.is(inFlightMax, 3);
});

test('drops a connection idle for idleMsMax and opens a new one', async (t) => {
  const s = await serve((_request, _body, response) => json(response, 200, {}));
  t.teardown(s.close);
  const client = clientFor(t, s.port, { idleMsMax: 30 });
  await client.post('/', '{}');
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is((await client.post('/', '{}')).status, 200);
  t.is(s.connections(), 2);
});

/** A raw TCP server that answers every request with `answer` (then does what `after` says). */
async function rawServer(answer: string, after: 'keep' | 'close') {
  const server = createNetServer((socket) => {
    socket.once('data', () => {
      socket.write(answer);
      if (after === 'close') socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const rejectsWith = async (
  t: ExecutionContext,
  answer: string,
  after: 'keep' | 'close',
  message: RegExp,
) => {
  const s = await rawServer(answer, after);
  t.teardown(s.close);
  const client = clientFor(t, s.port);
  await t.throwsAsync(client.post('/', '{}'), { message });
};

test('an answer without Content-Length is refused, not waited for', (t) =>
  rejectsWith(
    t,
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
    'keep',
    /without Content-Length/,
  ));

test('an answer body above answerBodyBytesMax is refused', (t) =>
  rejectsWith(
    t,
    `HTTP/1.1 200 OK\r\nContent-Length: ${answerBodyBytesMax + 1}\r\n\r\n`,
    'keep',
    /above the limit/,
  ));

test('a connection closed before the whole answer rejects the request', (t) =>
  rejectsWith(t, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a"', 'close', /closed before/));

test('more bytes than one answer reject the request', (t) =>
  rejectsWith(
    t,
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}',
    'keep',
    /more than one answer/,
  ));

test('an answer head above answerHeadBytesMax is refused', (t) =>
  rejectsWith(
    t,
    `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(answerHeadBytesMax)}`,
    'keep',
    /head too long/,
  ));

test('a request after close() is refused', async (t) => {
  const client = clientFor(t, 9);
  client.close();
  await t.throwsAsync(client.post('/', '{}'), { message: 'the client is closed' });
});
