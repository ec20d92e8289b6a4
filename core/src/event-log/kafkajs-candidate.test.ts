import test from 'ava';
import { eventLogContract } from '../testing/event-log-contract.js';
import { realServers } from '../testing/servers.js';
import { parseKafkaBrokers } from './factory.js';
import { createKafkajsEventLog } from './kafka-kafkajs.js';

const brokers = parseKafkaBrokers(realServers(['KAFKA_BROKERS']).KAFKA_BROKERS);
eventLogContract(test, {
  open: async () => createKafkajsEventLog({ brokers, clientId: 'event-log-contract-kafkajs' }),
  sessionTimeoutMs: 6_000,
  rebalanceSettleMs: 2_500,
});
