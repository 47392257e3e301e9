import { Logger } from '@aws-lambda-powertools/logger';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { DEFAULT_WINDOW_SECONDS } from '../shared/aggregate-item';
import { toSearchDocument } from './core';

const logger = new Logger({ serviceName: 'search-transform' });

function windowSeconds(): number {
  const raw = process.env.WINDOW_SECONDS;
  const value = raw === undefined || raw === '' ? DEFAULT_WINDOW_SECONDS : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`WINDOW_SECONDS: must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Firehose data transformation for the OpenSearch delivery: valid events become normalized
 * documents; the rest are marked ProcessingFailed with their bytes unchanged, so Firehose writes
 * them to the backup bucket and never to the index.
 */
export function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  const width = windowSeconds();
  let failed = 0;
  const records = event.records.map((r) => {
    const result = toSearchDocument(Buffer.from(r.data, 'base64'), width);
    if (result.ok) {
      return {
        recordId: r.recordId,
        result: 'Ok' as const,
        data: Buffer.from(JSON.stringify(result.document)).toString('base64'),
      };
    }
    failed++;
    return { recordId: r.recordId, result: 'ProcessingFailed' as const, data: r.data };
  });
  if (failed > 0) logger.info('records refused for the index', { failed, total: records.length });
  return Promise.resolve({ records });
}
