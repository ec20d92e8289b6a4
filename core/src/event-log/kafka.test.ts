import test from 'ava';
import { eventLogContract } from '../testing/event-log-contract.js';
import { realServers } from '../testing/servers.js';
import { parseKafkaBrokers } from './factory.js';
import { createKafkaEventLog } from './kafka.js';

const brokers = parseKafkaBrokers(realServers(['KAFKA_BROKERS']).KAFKA_BROKERS);

// Kafka's smallest allowed session timeout is group.min.session.timeout.ms (6 s by default);
// members heartbeat every third of it, so a group settles within about one heartbeat.
eventLogContract(test, {
  open: async () => createKafkaEventLog({ brokers, clientId: 'event-log-contract' }),
  sessionTimeoutMs: 6_000,
  rebalanceSettleMs: 2_500,
});
