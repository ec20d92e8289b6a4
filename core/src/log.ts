/**
 * Structured logs: one JSON object per line (`time`, `level`, `service`, `msg`, then the bound and
 * call fields, `requestId` among them), so any log shipper can index them without a parser.
 */

export const logLevelOrder = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof logLevelOrder;
export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a request id, a job name). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where lines go; stdout by default. Receives a whole line with its newline. */
  write?: (line: string) => void;
  /** Clock for the `time` field (tests). */
  now?: () => Date;
}

/** Longest stack kept in a logged error, in characters: enough to find the frame, bounded. */
export const errorStackCharsMax = 4_000;

function serializeError(error: Error): LogFields {
  const out: LogFields = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack) out.stack = error.stack.slice(0, errorStackCharsMax);
  if (error.cause instanceof Error) out.cause = serializeError(error.cause);
  return out;
}

/** JSON that survives what logs meet: bigints (as strings), errors, cycles. */
function toJsonLine(record: LogFields): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return serializeError(value);
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[cycle]';
      seen.add(value);
    }
    return value;
  });
}

/** Build a logger for one service. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  return new JsonLogger({ service: options.service, level, write, now }, {});
}

const reservedKeys = { time: true, level: true, service: true, msg: true };

/** What a logger and all its children share. */
interface LoggerSink {
  readonly service: string;
  readonly level: LogLevel;
  readonly write: (line: string) => void;
  readonly now: () => Date;
}

/**
 * Methods on a prototype, not closures made per logger: every request makes a child (its request
 * id), and under tsx each named closure costs a defineProperty (esbuild's keepNames), so the five
 * closures of a closure-built child cost about 3 us a request. A child is now one object.
 */
class JsonLogger implements Logger {
  readonly #sink: LoggerSink;
  readonly #bound: LogFields;
  readonly #threshold: number;

  constructor(sink: LoggerSink, bound: LogFields) {
    this.#sink = sink;
    this.#bound = bound;
    this.#threshold = logLevelOrder[sink.level];
  }

  get level(): LogLevel {
    return this.#sink.level;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#emit('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#emit('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#emit('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#emit('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.#sink, { ...this.#bound, ...fields });
  }

  #emit(lineLevel: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (logLevelOrder[lineLevel] < this.#threshold) return;
    const { service, write, now } = this.#sink;
    // Fixed keys first for people reading the raw lines; a field never overwrites them.
    const record: LogFields = { time: now().toISOString(), level: lineLevel, service, msg };
    for (const source of [this.#bound, fields]) {
      if (!source) continue;
      for (const [key, value] of Object.entries(source)) {
        if (!Object.hasOwn(reservedKeys, key)) record[key] = value;
      }
    }
    write(`${toJsonLine(record)}\n`);
  }
}

/** Whether `log` writes lines of `level` (to skip building fields nobody will see). */
export function logs(log: Logger, level: Exclude<LogLevel, 'silent'>): boolean {
  return logLevelOrder[level] >= logLevelOrder[log.level];
}

/** A logger that keeps its records in memory, for tests that check what was logged. */
export function createMemoryLogger(service = 'test', level: LogLevel = 'debug') {
  const records: LogFields[] = [];
  const log = createLogger({
    service,
    level,
    write: (line) => void records.push(JSON.parse(line) as LogFields),
  });
  return { log, records };
}
