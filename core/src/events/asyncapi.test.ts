import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncApiFileText, buildAsyncApiDocument } from './asyncapi.js';
import { eventCatalog } from './catalog.js';
import { topicNames } from './topics.js';

const committedPath = fileURLToPath(new URL('../../../docs/asyncapi.yaml', import.meta.url));

test('docs/asyncapi.yaml is what the zod schemas generate (run npm run asyncapi -w core when this fails)', async (t) => {
  t.is(readFileSync(committedPath, 'utf8'), await asyncApiFileText(committedPath));
});

test('the AsyncAPI document has a channel per topic and a message with an example per type and version', (t) => {
  const document = buildAsyncApiDocument() as {
    asyncapi: string;
    channels: Record<string, { address: string; messages: Record<string, unknown> }>;
    components: {
      messages: Record<string, { examples: unknown[]; payload: { $ref: string } }>;
      schemas: Record<string, unknown>;
    };
  };
  t.is(document.asyncapi, '3.0.0');
  const addresses = Object.values(document.channels).map((channel) => channel.address);
  t.deepEqual([...addresses].sort(), [...topicNames].sort());
  let expectedMessages = 0;
  for (const topic of topicNames) {
    for (const versions of Object.values(eventCatalog[topic]))
      expectedMessages += Object.keys(versions).length;
  }
  const messages = Object.values(document.components.messages);
  t.is(messages.length, expectedMessages);
  for (const message of messages) {
    t.is(message.examples.length, 1);
    const schemaId = message.payload.$ref.replace('#/components/schemas/', '');
    t.truthy(document.components.schemas[schemaId], schemaId);
  }
});

test('amounts are documented as strings of minor units, not numbers', (t) => {
  const schemas = buildAsyncApiDocument() as {
    components: {
      schemas: Record<string, { properties: Record<string, { type: string; pattern: string }> }>;
    };
  };
  const money = schemas.components.schemas['Money'];
  t.is(money?.properties['amount']?.type, 'string');
  t.is(
    schemas.components.schemas['NonNegativeMoney']?.properties['amount']?.pattern,
    '^(0|[1-9][0-9]*)$',
  );
});

test('only the event-id header is promised; raw transactions are shown with it alone', (t) => {
  const document = buildAsyncApiDocument() as {
    components: {
      messages: Record<
        string,
        {
          headers: { required: string[]; properties: Record<string, unknown> };
          examples: Array<{ headers: Record<string, string>; payload: { type: string } }>;
        }
      >;
    };
  };
  for (const message of Object.values(document.components.messages)) {
    t.deepEqual(message.headers.required, ['event-id']);
    for (const example of message.examples) {
      t.is(typeof example.headers['event-id'], 'string');
      if (example.payload.type === 'transaction.raw')
        t.deepEqual(Object.keys(example.headers), ['event-id']);
      else t.is(example.headers['event-type'], example.payload.type);
    }
  }
});
