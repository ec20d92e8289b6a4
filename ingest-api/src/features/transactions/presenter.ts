/** How ingest results look on the wire (stable: part of the public API). */
import { problemTypePrefix } from '@spendstream/core/http';
import type { ItemResult } from './ingest-service.js';

export function presentItem(result: ItemResult) {
  return {
    index: result.index,
    status: result.status,
    ...(result.externalId !== undefined ? { externalId: result.externalId } : {}),
    ...(result.transactionId !== undefined ? { transactionId: result.transactionId } : {}),
    ...(result.version !== undefined ? { version: result.version } : {}),
    ...(result.outcome !== undefined ? { outcome: result.outcome } : {}),
    ...(result.error
      ? {
          error: {
            type: `${problemTypePrefix}${result.error.code}`,
            code: result.error.code,
            detail: result.error.message,
            fields: result.error.fields,
          },
        }
      : {}),
  };
}

export function summarize(results: readonly ItemResult[]) {
  const summary = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}
