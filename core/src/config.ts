/**
 * Configuration: every process parses its environment once, at start, with a zod schema; a bad value
 * stops it with a message naming the variable. Every key is documented in docs/configuration.md
 * (a test in bin/ checks that no key is missing there).
 *
 * Schemas are built from *shapes* (plain objects of zod types) so the all-in-one entry can merge the
 * shapes of all four services into one schema; `defineConfig` adds the cross-key rules.
 */
import { z } from 'zod';

/** One bad variable: its name and what was expected. Never the value: it may hold a password. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown by `parseConfig`; the message lists every bad variable, one per line. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => `invalid configuration: ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The environment as a plain record; `process.env` fits. */
export type Env = Record<string, string | undefined>;

/**
 * An empty variable counts as unset, so `FOO=` in a Compose file or shell means "use the default",
 * not "the empty string".
 */
export function unsetIfEmpty(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

/** A TCP port with a default; 0 asks the system for a free port (tests), logged at start. */
const portMessage = 'expected a port number (an integer from 0 to 65535; 0 picks a free port)';

export function portSetting(defaultPort: number) {
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d{1,5}$/, { error: portMessage })
      .transform(Number)
      .refine((n) => n <= 65535, { error: portMessage })
      .optional()
      .transform((n) => n ?? defaultPort),
  );
}

/** A whole number of milliseconds within bounds, with a default. */
export function millisecondsSetting(defaultMs: number, maxMs: number) {
  const message = `expected a whole number of milliseconds from 0 to ${maxMs}`;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, { error: message })
      .transform(Number)
      .refine((n) => n <= maxMs, { error: message })
      .optional()
      .transform((n) => n ?? defaultMs),
  );
}

/** A whole number from `min` to `max`, with a default (counts, sizes, rates). */
export function integerSetting(defaultValue: number, min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, { error: message })
      .transform(Number)
      .refine((n) => n >= min && n <= max, { error: message })
      .optional()
      .transform((n) => n ?? defaultValue),
  );
}

/** A string matching `pattern`, with a default; `message` says what is expected. */
export function textSetting(defaultValue: string, pattern: RegExp, message: string) {
  return z.preprocess(
    unsetIfEmpty,
    z.string().regex(pattern, { error: message }).optional().default(defaultValue),
  );
}

/** An optional URL with one of `protocols` (`['http:', 'https:']`). */
export function urlSetting(protocols: readonly string[], example: string) {
  const message = `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (for example ${example})`;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .refine(
        (value) => {
          try {
            const url = new URL(value);
            return protocols.includes(url.protocol) && url.hostname !== '';
          } catch {
            return false;
          }
        },
        { error: message },
      )
      .optional(),
  );
}

/** `host:port` pairs, comma separated; parsed to a list. */
const kafkaBrokersSetting = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((value) => value.split(',').map((b) => b.trim()))
    .refine(
      (brokers) =>
        brokers.length > 0 &&
        brokers.every((b) => /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(b)),
      {
        error: 'expected host:port pairs separated by commas (for example kafka:9092,kafka2:9092)',
      },
    )
    .optional(),
);

/** Log levels, least to most severe; `silent` turns logging off (tests). */
export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevelSetting = (typeof logLevels)[number];

/**
 * The backends every service may use. Nothing set means the embedded default: SQLite files under
 * DATA_DIR for SQL, the event log, documents and search.
 */
export const backendConfigShape = {
  /** MySQL/MariaDB (`mysql://user:pass@host:3306/db`); unset = SQLite at DATA_DIR/spendstream.sqlite. */
  DATABASE_URL: urlSetting(
    ['mysql:', 'mariadb:'],
    'mysql://user:password@localhost:3306/spendstream',
  ),
  /** Kafka bootstrap brokers; unset = the embedded event log. */
  KAFKA_BROKERS: kafkaBrokersSetting,
  /** MongoDB for transaction documents and rollups; unset = embedded SQL tables. */
  MONGODB_URL: urlSetting(['mongodb:', 'mongodb+srv:'], 'mongodb://localhost:27017/spendstream'),
  /** Elasticsearch for search and analytics; unset (and no OPENSEARCH_URL) = embedded SQL queries. */
  ELASTICSEARCH_URL: urlSetting(['http:', 'https:'], 'http://localhost:9200'),
  /** OpenSearch instead of Elasticsearch; set at most one of the two. */
  OPENSEARCH_URL: urlSetting(['http:', 'https:'], 'http://localhost:9200'),
  /** Folder for the embedded backends' files; created when missing. */
  DATA_DIR: z.preprocess(unsetIfEmpty, z.string().optional().default('.data')),
};

/** Settings every HTTP service reads, on top of the backends. */
export const serviceConfigShape = {
  ...backendConfigShape,
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z
      .enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` })
      .optional()
      .default('info'),
  ),
  /** Interface to listen on; 0.0.0.0 so the services are reachable inside containers. */
  HOST: z.preprocess(unsetIfEmpty, z.string().optional().default('0.0.0.0')),
  /** How long a graceful shutdown waits for in-flight requests before closing connections. */
  SHUTDOWN_TIMEOUT_MS: millisecondsSetting(10_000, 600_000),
};

/** The port each service listens on by default (stream-jobs serves only health and metrics). */
export const defaultPorts = {
  'wallet-api': 3001,
  'ingest-api': 3002,
  'analytics-api': 3003,
  'stream-jobs': 3004,
} as const;

/** Rules that span keys; they look only at keys present in the shape. */
function crossKeyRules(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (config.ELASTICSEARCH_URL !== undefined && config.OPENSEARCH_URL !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['OPENSEARCH_URL'],
      message: 'set either ELASTICSEARCH_URL or OPENSEARCH_URL, not both',
    });
  }
}

/** A config schema from a shape, with the cross-key rules. */
export function defineConfig<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape).superRefine((config, ctx) => crossKeyRules(config, ctx));
}

/** The schema of the backend keys alone. */
export const backendConfigSchema = defineConfig(backendConfigShape);
export type BackendConfig = z.infer<typeof backendConfigSchema>;

/** The schema every service shares (each adds its own port). */
export const serviceConfigSchema = defineConfig(serviceConfigShape);
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

/** Parse `env` with `schema`; throws ConfigError naming each bad variable. */
export function parseConfig<Schema extends z.ZodType>(schema: Schema, env: Env): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(environment)',
    message:
      issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message,
  }));
  throw new ConfigError(problems);
}

/**
 * Parse the process environment at start: on a bad value, print one `invalid configuration: NAME:
 * expected ...` line per variable to stderr and exit with status 78 (EX_CONFIG).
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Env = process.env,
): z.infer<Schema> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(configExitCode);
  }
}

/** Exit status for a bad configuration (sysexits' EX_CONFIG). */
export const configExitCode = 78;

/** Which adapter each port uses under a config: logged at start so operators see the choice. */
export interface BackendChoice {
  sql: 'mysql' | 'sqlite';
  eventLog: 'kafka' | 'embedded';
  documents: 'mongodb' | 'embedded';
  search: 'elasticsearch' | 'opensearch' | 'embedded';
}

export function backendChoice(config: Partial<BackendConfig>): BackendChoice {
  return {
    sql: config.DATABASE_URL ? 'mysql' : 'sqlite',
    eventLog: config.KAFKA_BROKERS ? 'kafka' : 'embedded',
    documents: config.MONGODB_URL ? 'mongodb' : 'embedded',
    search: config.ELASTICSEARCH_URL
      ? 'elasticsearch'
      : config.OPENSEARCH_URL
        ? 'opensearch'
        : 'embedded',
  };
}
