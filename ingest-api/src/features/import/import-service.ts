/**
 * File import: a CSV or OFX/QFX statement for one wallet, streamed. Pass one parses and validates
 * every line with the same rules as the JSON API and spools the valid ones to a temporary file (so
 * memory stays bounded whatever the file size); only when the whole file is good (or the caller asked
 * for a partial import) does pass two ingest the spool in batches. Re-importing a file, or an
 * overlapping export, is exact: every line has a stable external id, so known lines are duplicates.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import {
  DomainError,
  PayloadTooLargeError,
  ValidationError,
  type ErrorCode,
} from '@spendstream/core/errors';
import { type Caller, callerKey, resolveUser, sourceOf } from '../transactions/caller.js';
import { batchItemsMax, type IngestService } from '../transactions/ingest-service.js';
import { parseTransactionInput } from '../transactions/fast-input.js';
import type { TransactionInput } from '../transactions/schema.js';
import { toRawTransaction } from '../transactions/to-raw.js';
import { walletViewWaitMs } from '../transactions/ref-wallet-directory.js';
import {
  refusalError,
  refusedWrites,
  type WalletDirectory,
} from '../transactions/wallet-directory.js';
import { parseCsv, type CsvMapping } from './csv-mapping.js';
import { readCsvRecords } from './csv-reader.js';
import { FileFormatError, isRowProblem, type ImportedRow } from './imported-row.js';
import { parseOfx } from './ofx.js';
import { z } from 'zod';

/** Largest import file, in bytes. */
export const importBytesMax = 64 * 1024 * 1024;
/** Most statement lines in one import. */
export const importRowsMax = 200_000;
/** Most line errors reported in one answer (the count is always exact). */
export const importErrorsReportedMax = 100;
/** Most imports whose progress is remembered for GET /v1/imports/{id}. */
export const importProgressKeptMax = 1_000;
/** Log a progress line every this many rows. */
const progressEveryRows = 10_000;

export type ImportFormat = 'csv' | 'ofx';

export interface ImportLineError {
  line: number;
  code: ErrorCode;
  message: string;
  field?: string;
}

export interface ImportProgress {
  importId: string;
  walletId: string;
  format: ImportFormat;
  state: 'reading' | 'publishing' | 'done' | 'failed';
  bytesRead: number;
  rowsRead: number;
  rowsPublished: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  startedAt: string;
  finishedAt?: string;
}

export interface ImportResult extends ImportProgress {
  /** The first `importErrorsReportedMax` line errors, in line order. */
  errors: ImportLineError[];
  /** False when a partial import skipped lines. */
  complete: boolean;
}

export interface ImportRequest {
  caller: Caller;
  walletId: string;
  userId?: string;
  format: ImportFormat;
  mapping?: CsvMapping;
  /** Zone for OFX dates without an offset. */
  timeZone?: string;
  /** Import the good lines even when some are bad (default: all or nothing). */
  partial: boolean;
  body: AsyncIterable<Uint8Array>;
  importId?: string;
  /** Called after pass one with the body's SHA-256, before anything is published (Idempotency-Key check). */
  beforePublish?: (bodySha256: string) => Promise<void>;
  progress?: (line: ImportProgress) => void;
}

export interface ImportService {
  run(request: ImportRequest): Promise<ImportResult>;
  progressOf(importId: string, caller: Caller): ImportProgress | undefined;
}

/** The JSON input an imported line becomes: the same shape (and rules) as POST /v1/transactions. */
export function rowToInput(row: ImportedRow, walletId: string, userId: string): TransactionInput {
  const externalId = row.correction ? row.correction.of : (row.externalId ?? '');
  const signed = row.direction === 'out' && row.kind === undefined ? `-${row.amount}` : row.amount;
  // Statement exports put the merchant in the description; use it as the merchant when none is mapped.
  const merchant = row.merchant ?? row.description?.slice(0, 200).trim();
  return {
    externalId,
    walletId,
    userId,
    ...(row.kind ? { kind: row.kind } : {}),
    amount: signed,
    currency: row.currency,
    occurredAt: row.occurredAt,
    ...(merchant ? { merchant } : {}),
    ...(row.description !== undefined ? { description: row.description } : {}),
    ...(row.mcc !== undefined ? { mcc: row.mcc } : {}),
    ...(row.bankCategory !== undefined ? { bankCategory: row.bankCategory } : {}),
    ...(row.correction?.action === 'delete' ? { status: 'reversed' as const } : {}),
  };
}

function lineError(line: number, error: unknown): ImportLineError {
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '';
    return {
      line,
      code: 'validation_failed',
      message: `${field}: ${issue?.message ?? 'invalid'}`,
      field,
    };
  }
  if (error instanceof DomainError) {
    return {
      line,
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
    };
  }
  throw error;
}

export function createImportService(deps: {
  ingest: IngestService;
  wallets: WalletDirectory;
  /** How long a failed wallet check waits for the view to change (walletViewWaitMs by default). */
  walletWaitMs?: number;
  now?: () => number;
  log?: { info(msg: string, fields?: Record<string, unknown>): void };
}): ImportService {
  const now = deps.now ?? Date.now;
  const walletWaitMs = deps.walletWaitMs ?? walletViewWaitMs;
  const progress = new Map<string, { owner: string; progress: ImportProgress }>();

  function remember(owner: string, p: ImportProgress): void {
    progress.set(p.importId, { owner, progress: p });
    while (progress.size > importProgressKeptMax) {
      const oldest = progress.keys().next().value;
      if (oldest === undefined) break;
      progress.delete(oldest);
    }
  }

  async function run(request: ImportRequest): Promise<ImportResult> {
    const { caller, walletId, format } = request;
    const userId = resolveUser(caller, request.userId);
    const refusal = (await refusedWrites(deps.wallets, [{ userId, walletId }], walletWaitMs)).get(
      0,
    );
    if (refusal) throw refusalError(refusal);
    // Its currency is the file's default; gone since the check (a newer snapshot) is a refusal too.
    const wallet = (await deps.wallets.lookup([walletId])).get(walletId);
    if (!wallet) throw refusalError('forbidden');
    if (format === 'csv' && !request.mapping)
      throw new ValidationError('a CSV import needs a mapping', { field: 'mapping' });

    const p: ImportProgress = {
      importId: request.importId ?? randomUUID(),
      walletId,
      format,
      state: 'reading',
      bytesRead: 0,
      rowsRead: 0,
      rowsPublished: 0,
      accepted: 0,
      duplicate: 0,
      rejected: 0,
      startedAt: new Date(now()).toISOString(),
    };
    remember(callerKey(caller), p);
    const errors: ImportLineError[] = [];
    let errorCount = 0;
    const addError = (e: ImportLineError) => {
      errorCount++;
      if (errors.length < importErrorsReportedMax) errors.push(e);
    };
    const report = () => request.progress?.({ ...p });

    const dir = mkdtempSync(join(tmpdir(), 'ingest-import-'));
    try {
      // Pass one: read, parse, validate, spool. Nothing is published yet.
      const bodyHash = createHash('sha256');
      const counted = async function* (): AsyncGenerator<Uint8Array> {
        for await (const chunk of request.body) {
          p.bytesRead += chunk.byteLength;
          if (p.bytesRead > importBytesMax) {
            throw new PayloadTooLargeError(
              `the file is larger than ${importBytesMax} bytes (importBytesMax)`,
              { field: 'body' },
            );
          }
          bodyHash.update(chunk);
          yield chunk;
        }
      };
      const rows =
        format === 'csv'
          ? parseCsv(
              readCsvRecords(counted(), { delimiter: request.mapping!.delimiter }),
              request.mapping!,
              wallet.currency,
            )
          : parseOfx(counted(), {
              defaultCurrency: wallet.currency,
              timeZone: request.timeZone ?? 'UTC',
            });
      const spoolPath = join(dir, 'rows.ndjson');
      const spool = createWriteStream(spoolPath, { encoding: 'utf8' });
      const source = sourceOf(caller);
      const nowMs = now();
      try {
        for await (const row of rows) {
          p.rowsRead++;
          if (p.rowsRead > importRowsMax) {
            throw new PayloadTooLargeError(
              `the file has more than ${importRowsMax} lines (importRowsMax)`,
              { field: 'body' },
            );
          }
          if (isRowProblem(row)) {
            addError({ line: row.line, code: 'validation_failed', message: row.problem });
            continue;
          }
          try {
            const input = parseTransactionInput(rowToInput(row, walletId, userId));
            toRawTransaction(input, { source, userId, channel: 'file', nowMs });
            if (!spool.write(`${JSON.stringify({ line: row.line, input })}\n`)) {
              await new Promise<void>((resolve) => spool.once('drain', () => resolve()));
            }
          } catch (error) {
            addError(lineError(row.line, error));
          }
          if (p.rowsRead % progressEveryRows === 0) {
            report();
            deps.log?.info('import progress', {
              importId: p.importId,
              rowsRead: p.rowsRead,
              bytesRead: p.bytesRead,
            });
          }
        }
      } catch (error) {
        if (error instanceof FileFormatError) {
          throw new ValidationError(
            `the file is malformed at ${error.message}; nothing was imported`,
            {
              fields: [{ path: `line ${error.line}`, message: error.message }],
            },
          );
        }
        throw error;
      } finally {
        spool.end();
        await finished(spool);
      }
      if (errorCount > 0 && !request.partial) {
        const first = errors[0]!;
        throw new ValidationError(
          `${errorCount} line(s) are invalid, first at line ${first.line}: ${first.message}; nothing was imported (ask for partial=true to import the valid lines)`,
          { fields: errors.map((e) => ({ path: `line ${e.line}`, message: e.message })) },
        );
      }
      p.rejected = errorCount;
      await request.beforePublish?.(bodyHash.digest('hex'));

      // Pass two: ingest the spool in batches; each batch is durable before the next starts.
      p.state = 'publishing';
      report();
      const reader = createInterface({
        input: createReadStream(spoolPath, { encoding: 'utf8' }),
        crlfDelay: Infinity,
      });
      let chunk: { line: number; input: TransactionInput }[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        const results = await deps.ingest.ingest(
          caller,
          chunk.map((c) => c.input),
          { channel: 'file', correlationId: p.importId },
        );
        results.forEach((r, i) => {
          if (r.status === 'accepted') p.accepted++;
          else if (r.status === 'duplicate') p.duplicate++;
          else {
            p.rejected++;
            addError({
              line: chunk[i]!.line,
              code: r.error!.code,
              message: r.error!.message,
              ...(r.error!.fields[0] ? { field: r.error!.fields[0].path } : {}),
            });
          }
        });
        p.rowsPublished += chunk.length;
        chunk = [];
        report();
      };
      for await (const text of reader) {
        if (text === '') continue;
        chunk.push(JSON.parse(text) as { line: number; input: TransactionInput });
        if (chunk.length >= batchItemsMax) await flush();
      }
      await flush();
      p.state = 'done';
      p.finishedAt = new Date(now()).toISOString();
      errors.sort((a, b) => a.line - b.line);
      return { ...p, errors, complete: p.rejected === 0 };
    } catch (error) {
      p.state = 'failed';
      p.finishedAt = new Date(now()).toISOString();
      throw error;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    run,
    progressOf(importId, caller) {
      const entry = progress.get(importId);
      return entry && entry.owner === callerKey(caller) ? { ...entry.progress } : undefined;
    },
  };
}
