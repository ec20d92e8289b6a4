// `npm run bench:baseline [-- --scale 0.01] [-- --repeat 3] [-- --only kafka,opensearch]`: raw
// throughput of the live real servers from Node (see baseline-lib.ts), printed as a Markdown table
// for docs/benchmarks.md.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { realServers } from '@spendstream/core/testing/servers';
import {
  ferretDbBaselineDefaults,
  ferretDbInserts,
  kafkaBaselineDefaults,
  kafkaProduceConsume,
  kafkaProducePlatformatic,
  mariaDbBaselineDefaults,
  mariaDbUpdates,
  medians,
  openSearchBaselineDefaults,
  openSearchBulk,
  type BaselineResult,
} from './baseline-lib.js';

const targets = ['kafka', 'opensearch', 'ferretdb', 'mariadb'] as const;
type Target = (typeof targets)[number];
const repeatMax = 9;

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '1' },
    only: { type: 'string', default: targets.join(',') },
  },
});

const scale = Number(values.scale);
const repeat = Number(values.repeat);
if (!(scale > 0 && scale <= 1))
  throw new Error('--scale must be in (0, 1], e.g. 0.01 for a quick run');
if (!Number.isInteger(repeat) || repeat < 1 || repeat > repeatMax) {
  throw new Error(`--repeat must be an integer from 1 to ${repeatMax}`);
}
const only = values.only.split(',') as Target[];
const unknown = only.filter((name) => !targets.includes(name));
if (unknown.length > 0)
  throw new Error(`--only: unknown ${unknown.join(', ')}; known: ${targets.join(', ')}`);

const scaled = (count: number): number => Math.max(1, Math.round(count * scale));
const servers = realServers();

async function runOnce(): Promise<BaselineResult[]> {
  const figures: BaselineResult[] = [];
  const report = (batch: BaselineResult[]): void => {
    for (const figure of batch) {
      console.log(
        `  ${figure.name}: ${figure.count} in ${(figure.durationMs / 1000).toFixed(2)}s = ${Math.round(figure.ratePerSecond)}/s`,
      );
    }
    figures.push(...batch);
  };
  if (only.includes('kafka')) {
    report(
      await kafkaProduceConsume(servers.KAFKA_BROKERS, {
        messages: scaled(kafkaBaselineDefaults.messages),
      }),
    );
    report([
      await kafkaProducePlatformatic(servers.KAFKA_BROKERS, {
        messages: scaled(kafkaBaselineDefaults.messages),
      }),
    ]);
  }
  if (only.includes('opensearch')) {
    report([
      await openSearchBulk(servers.OPENSEARCH_URL, {
        documents: scaled(openSearchBaselineDefaults.documents),
      }),
    ]);
  }
  if (only.includes('ferretdb')) {
    report([
      await ferretDbInserts(servers.MONGODB_URL, {
        documents: scaled(ferretDbBaselineDefaults.documents),
      }),
    ]);
  }
  if (only.includes('mariadb')) {
    report(
      await mariaDbUpdates(servers.DATABASE_URL, {
        spreadUpdates: scaled(mariaDbBaselineDefaults.spreadUpdates),
        hotRowUpdates: scaled(mariaDbBaselineDefaults.hotRowUpdates),
      }),
    );
  }
  return figures;
}

const runs: BaselineResult[][] = [];
for (let round = 1; round <= repeat; round += 1) {
  console.log(`round ${round} of ${repeat}`);
  runs.push(await runOnce());
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\nmachine: ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  `command: npm run bench:baseline -- --scale ${scale} --repeat ${repeat} --only ${only.join(',')}`,
);
console.log(`\n| baseline | count | duration (s) | rate (/s) |\n| --- | ---: | ---: | ---: |`);
for (const figure of medians(runs)) {
  console.log(
    `| ${figure.name} | ${figure.count.toLocaleString('en-US')} | ${(figure.durationMs / 1000).toFixed(2)} | ${Math.round(figure.ratePerSecond).toLocaleString('en-US')} |`,
  );
}
