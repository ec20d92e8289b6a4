/** How ingest results look on the wire (stable: part of the public API). */
import { problemTypePrefix } from '@spendstream/core/http';
import type { ItemResult } from './ingest-service.js';

export function presentItem(result: ItemResult) {
  // Fields set one by one (not spread from temporary objects): a batch answer presents 1,000.
  const item: {
    index: number;
    status: ItemResult['status'];
    externalId?: string;
    transactionId?: string;
    version?: number;
    outcome?: ItemResult['outcome'];
    error?: { type: string; code: string; detail: string; fields: unknown[] };
  } = { index: result.index, status: result.status };
  if (result.externalId !== undefined) item.externalId = result.externalId;
  if (result.transactionId !== undefined) item.transactionId = result.transactionId;
  if (result.version !== undefined) item.version = result.version;
  if (result.outcome !== undefined) item.outcome = result.outcome;
  if (result.error) {
    item.error = {
      type: `${problemTypePrefix}${result.error.code}`,
      code: result.error.code,
      detail: result.error.message,
      fields: result.error.fields,
    };
  }
  return item;
}

export function summarize(results: readonly ItemResult[]) {
  const summary = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}
