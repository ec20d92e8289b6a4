/**
 * The stream-jobs bench's load: its raw transactions and its latency phase (a sender at a fixed
 * rate and two listeners that time each transaction's alert and enriched event). The phase runs
 * beside the jobs (`--sender same`) or in a process of its own (`latency-sender.ts`, the default):
 * "ingest in one process, jobs in another", as ingest-api and stream-jobs run.
 */
import type { EventLog, OutgoingMessage } from '@spendstream/core/event-log';
import { topics } from '@spendstream/core/events';
import { rawTransaction, sampleMerchants } from '../src/features/documents/test-documents.js';
import { rawEvent } from '../src/features/pipeline/test-harness.js';

/** Users the load is spread over (one partition key each). */
export const usersCount = 1_000;
/** Most messages the latency-phase sender puts in one send when it catches up. */
export const senderBatchMax = 1_000;
/** How long the listeners are given to join before the sender starts. */
export const listenersSettleMs = 3_000;
/** Longest wait for the last alert and enriched event after the sender stopped. */
export const receiptsTimeoutMs = 60_000;
/** The sender's tick when nothing is due. */
const tickMs = 10;

/** The raw transaction number `sequence` (id `b<sequence>`), large enough to raise an alert. */
export function benchRaw(sequence: number): OutgoingMessage {
  return rawEvent(
    rawTransaction({
      transactionId: `b${sequence}`,
      userId: `u${sequence % usersCount}`,
      merchant: sampleMerchants[sequence % sampleMerchants.length]!,
      amount: { amount: BigInt(500 + (sequence % 9000)), currency: 'NZD' },
      occurredAt: new Date(Date.now() - (sequence % 86_400) * 1000).toISOString(),
    }),
  );
}

/** What one latency phase measured (latencies in ms, sorted). */
export interface LatencyResult {
  /** The rate the sender really offered over the phase. */
  offered: number;
  sent: number;
  alertLatency: number[];
  indexedLatency: number[];
  /** CPU seconds (user + system) of the process that ran the phase, over the phase. */
  senderCpuSeconds: number;
}

export interface LatencyPhaseOptions {
  eventLog: EventLog;
  prefix: string;
  groupPrefix: string;
  rate: number;
  seconds: number;
  /** The first transaction number of the phase (after the throughput phase's). */
  firstSequence: number;
  /** Called once the listeners have joined, just before the sender starts. */
  onStart?: () => void;
}

/**
 * Joins the two listeners, sends at `rate` for `seconds` (each round sends what is due since the
 * phase started, so a slow send is caught up by the next round instead of lowering the rate), then
 * waits for every transaction's alert and enriched event.
 */
export async function runLatencyPhase(options: LatencyPhaseOptions): Promise<LatencyResult> {
  const { eventLog, prefix, rate } = options;
  const sentAt = new Map<string, number>();
  const alertLatency: number[] = [];
  const indexedLatency: number[] = [];
  const listen = (topic: string, sink: number[]) =>
    eventLog.subscribe({
      groupId: `${options.groupPrefix}bench-${topic}`,
      topics: [`${prefix}${topic}`],
      from: 'latest',
      handler: async (batch) => {
        const now = performance.now();
        for (const message of batch.messages) {
          const value = JSON.parse(message.value.toString('utf8')) as {
            payload: { transactionId?: string };
          };
          const at =
            value.payload.transactionId === undefined
              ? undefined
              : sentAt.get(value.payload.transactionId);
          if (at !== undefined) sink.push(now - at);
        }
      },
    });
  const alertsConsumer = await listen(topics.alerts, alertLatency);
  const enrichedConsumer = await listen(topics.transactionsEnriched, indexedLatency);
  await new Promise((resolve) => setTimeout(resolve, listenersSettleMs));
  options.onStart?.();
  const cpuAtStart = process.cpuUsage();
  const phaseStart = performance.now();
  const phaseEnd = phaseStart + options.seconds * 1000;
  let sent = 0;
  let sequence = options.firstSequence;
  while (performance.now() < phaseEnd) {
    const due = Math.min(
      Math.floor(((performance.now() - phaseStart) / 1000) * rate) - sent,
      senderBatchMax,
    );
    if (due <= 0) {
      await new Promise((resolve) => setTimeout(resolve, tickMs));
      continue;
    }
    const batch: OutgoingMessage[] = [];
    const now = performance.now();
    for (let i = 0; i < due; i += 1) {
      sequence += 1;
      batch.push(benchRaw(sequence));
      sentAt.set(`b${sequence}`, now);
    }
    await eventLog.send(`${prefix}${topics.transactionsRaw}`, batch);
    sent += batch.length;
  }
  const offered = sent / ((performance.now() - phaseStart) / 1000);
  const deadline = Date.now() + receiptsTimeoutMs;
  while (Date.now() < deadline && (alertLatency.length < sent || indexedLatency.length < sent))
    await new Promise((resolve) => setTimeout(resolve, 50));
  const cpu = process.cpuUsage(cpuAtStart);
  await alertsConsumer.close();
  await enrichedConsumer.close();
  alertLatency.sort((a, b) => a - b);
  indexedLatency.sort((a, b) => a - b);
  return {
    offered,
    sent,
    alertLatency,
    indexedLatency,
    senderCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
