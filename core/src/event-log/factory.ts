/**
 * Picks the event-log adapter from configuration alone: `kafkaBrokers` set means Kafka, anything
 * else the embedded SQLite log under `sqlitePath` (or `dataDir/event-log.sqlite`).
 */
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { createEmbeddedEventLog } from './embedded.js';
import { createKafkaEventLog } from './kafka.js';
import type { EventLog } from './port.js';

/** File name of the embedded log inside `dataDir`. */
export const embeddedEventLogFileName = 'event-log.sqlite';

export interface EventLogConfig {
  /** `KAFKA_BROKERS`: comma-separated `host:port` list. Set means Kafka. */
  kafkaBrokers?: string | string[];
  /** Kafka client id, shown in broker logs. */
  clientId?: string;
  /** Embedded: the SQLite file. */
  sqlitePath?: string;
  /** Embedded: the folder for the SQLite file when `sqlitePath` is not given. */
  dataDir?: string;
}

/** Parses a `KAFKA_BROKERS` value into `host:port` entries; throws ValidationError naming it. */
export function parseKafkaBrokers(value: string | string[]): string[] {
  const brokers = (Array.isArray(value) ? value : value.split(','))
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new ValidationError(
      `KAFKA_BROKERS must be a comma-separated list of host:port, got ${JSON.stringify(value)}`,
      { field: 'KAFKA_BROKERS' },
    );
  }
  return brokers;
}

/** Opens the event log the configuration asks for. */
export async function createEventLog(config: EventLogConfig): Promise<EventLog> {
  const brokers = config.kafkaBrokers;
  if (
    brokers !== undefined &&
    (Array.isArray(brokers) ? brokers.length > 0 : brokers.trim() !== '')
  ) {
    return createKafkaEventLog({
      brokers: parseKafkaBrokers(brokers),
      clientId: config.clientId ?? 'spendstream',
    });
  }
  const path =
    config.sqlitePath ??
    (config.dataDir === undefined ? undefined : join(config.dataDir, embeddedEventLogFileName));
  if (path === undefined) {
    throw new ValidationError('the embedded event log needs a dataDir or a sqlitePath', {
      field: 'dataDir',
    });
  }
  return createEmbeddedEventLog({ path });
}
