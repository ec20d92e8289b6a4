/**
 * The AsyncAPI 3.0 document of every topic, generated from the zod schemas (the schemas are the
 * source of truth; `docs/asyncapi.yaml` is their published form). `npm run asyncapi -w core` rewrites
 * the file; a test fails when the committed file differs from what the schemas generate.
 */
import { z } from 'zod';
import { eventCatalog, eventSchemaOf } from './catalog.js';
import {
  currencyCodeSchema,
  metadataSchema,
  moneySchema,
  nonNegativeMoneySchema,
} from './common.js';
import { encodeEvent } from './codec.js';
import { exampleEvents } from './examples.js';
import { eventHeaders, topicNames, topics, topicSpecs, type TopicName } from './topics.js';
import { toYaml } from './yaml.js';

/** Version of the event contract as a whole; bump the minor on any added type or version. */
export const eventContractVersion = '1.0.0';

/** Who writes and who reads each topic, for the document. */
const topicParties: Record<TopicName, { producers: string; consumers: string }> = {
  'transactions.raw': {
    producers: 'ingest-api, wallet-api (outbox)',
    consumers: 'stream-jobs (enricher)',
  },
  'transactions.enriched': {
    producers: 'stream-jobs (enricher)',
    consumers: 'stream-jobs (document writer, search indexer, rollups, alerts)',
  },
  'transactions.corrections': {
    producers: 'analytics-api',
    consumers: 'stream-jobs (enricher, rules)',
  },
  alerts: {
    producers: 'stream-jobs (alerts)',
    consumers:
      'analytics-api (live dashboard) and external subscribers (notifications, fraud, coaching)',
  },
  'wallet.events': {
    producers: 'wallet-api (outbox)',
    consumers: 'stream-jobs (low-balance alerts), dashboards',
  },
  'dead-letter': {
    producers: 'every consumer that gives up on a message',
    consumers: 'operators, replay tools',
  },
  'ref.budgets': { producers: 'analytics-api', consumers: 'stream-jobs (budget alerts, rollups)' },
  'ref.user-settings': { producers: 'wallet-api', consumers: 'stream-jobs (enricher, alerts)' },
  'ref.category-rules': { producers: 'analytics-api', consumers: 'stream-jobs (enricher)' },
  'ref.wallets': {
    producers: 'wallet-api',
    consumers:
      'stream-jobs (enricher, low-balance alerts), analytics-api (shared-wallet read scope), ingest-api (write permission)',
  },
};

function camel(text: string): string {
  return text.replace(/[._-]+([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

function messageName(type: string, version: number): string {
  return `${camel(type)}V${version}`;
}

/** Sub-schemas shared by many events, published once under components/schemas. */
const sharedSchemas: Record<string, z.ZodType> = {
  CurrencyCode: currencyCodeSchema,
  Money: moneySchema,
  NonNegativeMoney: nonNegativeMoneySchema,
  Metadata: metadataSchema,
};

/**
 * JSON Schemas (draft 7, which AsyncAPI schema objects extend) of the wire form: the input side of the
 * codecs, so amounts are strings. Shared sub-schemas become `$ref`s into components/schemas.
 */
function wireSchemas(messageSchemas: Record<string, z.ZodType>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries({ ...sharedSchemas, ...messageSchemas }))
    registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  const result: Record<string, unknown> = {};
  for (const id of Object.keys(schemas).sort()) {
    const { $schema: _schema, $id: _id, ...rest } = schemas[id] ?? {};
    result[id] = rest;
  }
  return result;
}

const hint =
  'A hint some producers add; consumers must not rely on it (absent on transactions.raw).';

const headersSchema = {
  type: 'object',
  required: [eventHeaders.id],
  properties: {
    [eventHeaders.id]: {
      type: 'string',
      description: 'The envelope id (for deduplication without parsing). On every message.',
    },
    [eventHeaders.type]: { type: 'string', description: `The envelope type. ${hint}` },
    [eventHeaders.version]: {
      type: 'string',
      description: `The envelope version, as a decimal string. ${hint}`,
    },
    [eventHeaders.contentType]: {
      type: 'string',
      const: 'application/json',
      description: hint,
    },
  },
};

/** The headers a message of the topic carries: ingest-api sends raw transactions with the id alone. */
function exampleHeaders(topic: TopicName, id: string, type: string, version: number) {
  if (topic === topics.transactionsRaw) return { [eventHeaders.id]: id };
  return {
    [eventHeaders.id]: id,
    [eventHeaders.type]: type,
    [eventHeaders.version]: String(version),
    [eventHeaders.contentType]: 'application/json',
  };
}

/** The AsyncAPI document as a plain object. */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const messageSchemas: Record<string, z.ZodType> = {};

  for (const topic of topicNames) {
    const spec = topicSpecs[topic];
    const parties = topicParties[topic];
    const channelId = camel(topic);
    const channelMessages: Record<string, unknown> = {};
    for (const [type, versions] of Object.entries(
      eventCatalog[topic] as Record<string, Record<number, z.ZodType>>,
    )) {
      for (const versionKey of Object.keys(versions)) {
        const version = Number(versionKey);
        const name = messageName(type, version);
        const schema = eventSchemaOf(topic, type, version);
        if (schema === undefined) throw new Error(`catalog lost ${topic} ${type} v${version}`);
        messageSchemas[name] = schema;
        const examples = (exampleEvents[topic] as readonly { type: string; version: number }[])
          .filter((event) => event.type === type && event.version === version)
          .map((event) => {
            const wire = JSON.parse(
              new TextDecoder().decode(encodeEvent(topic, event as never)),
            ) as {
              id: string;
              key: string;
            };
            return {
              name: `${name}Example`,
              headers: exampleHeaders(topic, wire.id, type, version),
              payload: wire,
            };
          });
        messages[name] = {
          name: type,
          title: `${type} v${version}`,
          summary: `${type}, payload version ${version}, on ${topic}.`,
          contentType: 'application/json',
          headers: headersSchema,
          payload: { $ref: `#/components/schemas/${name}` },
          bindings: {
            kafka: {
              key: { type: 'string', description: 'The user id (equals the envelope key).' },
              bindingVersion: '0.5.0',
            },
          },
          examples,
        };
        channelMessages[name] = { $ref: `#/components/messages/${name}` };
      }
    }
    channels[channelId] = {
      address: topic,
      title: topic,
      description: `${spec.description} Produced by ${parties.producers}; consumed by ${parties.consumers}. Key: the user id.`,
      messages: channelMessages,
      bindings: {
        kafka: {
          topic,
          partitions: spec.partitions,
          topicConfiguration: {
            'cleanup.policy': [spec.compacted ? 'compact' : 'delete'],
            ...(spec.retentionMs === null ? {} : { 'retention.ms': spec.retentionMs }),
          },
          bindingVersion: '0.5.0',
        },
      },
    };
    const messageRefs = Object.keys(channelMessages).map((name) => ({
      $ref: `#/channels/${channelId}/messages/${name}`,
    }));
    operations[`send${channelId[0]?.toUpperCase()}${channelId.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      summary: `${parties.producers} publish to ${topic}.`,
      messages: messageRefs,
    };
    operations[`receive${channelId[0]?.toUpperCase()}${channelId.slice(1)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channelId}` },
      summary: `${parties.consumers} read ${topic}.`,
      messages: messageRefs,
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Spendstream events',
      version: eventContractVersion,
      description: [
        'Every topic of Spendstream, its key, and the versioned schema of each event.',
        'Generated from the zod schemas in core/src/events by `npm run asyncapi -w core`; do not edit by hand.',
        'Every message is a JSON envelope {id, type, version, key, occurredAt, producedAt, source, payload};',
        'the message key is the user id. Amounts are {amount, currency} with amount a decimal string of',
        'minor units (EUR "1234" is 12.34 EUR). See docs/events.md for versioning and the dead-letter contract.',
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:9092',
        protocol: 'kafka',
        description:
          'A local Kafka broker (KAFKA_BROKERS); without it the same topics live in the embedded log.',
      },
    },
    channels,
    operations,
    components: { messages, schemas: wireSchemas(messageSchemas) },
  };
}

/** The document as YAML from our own emitter. */
export function asyncApiYaml(): string {
  return `# Generated by core/scripts/asyncapi.ts from the zod schemas. Do not edit by hand.\n${toYaml(buildAsyncApiDocument())}`;
}

/**
 * Exactly what docs/asyncapi.yaml must contain: the YAML passed through the repository's prettier
 * settings, so `prettier --check .` agrees with the generator. Prettier is a development tool, loaded
 * only here (the generator script and its test), never by services at run time.
 */
export async function asyncApiFileText(filePath: string): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(filePath)) ?? {};
  return prettier.format(asyncApiYaml(), { ...options, parser: 'yaml', filepath: filePath });
}
