// Health probes that speak each server's own protocol, so "up" means it answers requests, not just
// that a port is open. Written against Node's net module to keep infra free of npm dependencies.
import { connect } from 'node:net';

const probeTimeoutMs = 3_000;

/** Sends one request over TCP and resolves with the first complete length-prefixed reply. */
function exchange(
  port: number,
  request: Buffer,
  replyLength: (head: Buffer) => number | undefined,
): Promise<Buffer> {
  return new Promise((resolveReply, rejectReply) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      rejectReply(new Error(`no reply on port ${port} within ${probeTimeoutMs}ms`));
    }, probeTimeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const total = replyLength(received);
      if (total !== undefined && received.length >= total) {
        clearTimeout(timer);
        socket.destroy();
        resolveReply(received.subarray(0, total));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      rejectReply(error);
    });
  });
}

/** True when a Kafka broker answers an ApiVersions (v0) request without error. */
export async function kafkaAnswers(port: number): Promise<boolean> {
  const clientId = Buffer.from('spendstream-infra');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // version 0: understood by every broker
  body.writeInt32BE(1, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  const reply = await exchange(port, Buffer.concat([size, body]), (head) =>
    head.length >= 4 ? 4 + head.readInt32BE(0) : undefined,
  );
  return reply.length >= 10 && reply.readInt32BE(4) === 1 && reply.readInt16BE(8) === 0;
}

/** True when a MongoDB-protocol server answers { ping: 1 } with ok: 1 (OP_MSG). */
export async function mongoAnswers(port: number): Promise<boolean> {
  const db = Buffer.from('admin\0');
  const doc = Buffer.concat([
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([0x10]),
    Buffer.from('ping\0'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from([0x02]),
    Buffer.from('$db\0'),
    Buffer.from([db.length, 0, 0, 0]),
    db,
    Buffer.from([0]),
  ]);
  doc.writeInt32LE(doc.length, 0);
  const header = Buffer.alloc(16 + 4 + 1);
  header.writeInt32LE(header.length + doc.length, 0);
  header.writeInt32LE(1, 4); // request id
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12); // OP_MSG
  header.writeUInt32LE(0, 16); // flags
  header.writeUInt8(0, 20); // section kind 0: one body document
  const reply = await exchange(port, Buffer.concat([header, doc]), (head) =>
    head.length >= 4 ? head.readInt32LE(0) : undefined,
  );
  if (reply.length < 21 || reply.readInt32LE(12) !== 2013) return false;
  // The reply document holds ok as a double: type 0x01, name "ok", value 1.0.
  const okMarker = Buffer.from([0x01, 0x6f, 0x6b, 0x00]);
  const at = reply.indexOf(okMarker, 21);
  return at >= 0 && reply.readDoubleLE(at + okMarker.length) === 1;
}

/** GETs a JSON document from a local HTTP server, or undefined when it does not answer 2xx. */
export async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) });
  if (!response.ok) return undefined;
  return response.json();
}

/** True when something accepts TCP connections on the port (ours or not). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolvePort(false);
    }, probeTimeoutMs);
    socket.on('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolvePort(true);
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolvePort(false);
    });
  });
}

/**
 * True when the broker takes a new topic and a produced message, the way tests will use it. A
 * restarted broker answers ApiVersions while it is still loading hundreds of old test partitions,
 * and then refuses new topics for a while (UNKNOWN_TOPIC_OR_PARTITION). Uses kafkajs from the
 * project's node_modules when installed; without it the ApiVersions probe has to do.
 */
export async function kafkaTakesWrites(port: number): Promise<boolean> {
  const kafkajs = await import('kafkajs').catch(() => undefined);
  if (kafkajs === undefined) return true;
  const kafka = new kafkajs.Kafka({
    clientId: 'spendstream-infra',
    brokers: [`127.0.0.1:${port}`],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const topic = `infra_ready_${Date.now()}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'ready' }] });
    return true;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
