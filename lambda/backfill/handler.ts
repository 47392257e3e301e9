import type { Context } from 'aws-lambda';
import { planAggregates } from '../shared/aggregate-plan';
import { S3Client } from '@aws-sdk/client-s3';
import { dynamoDbClient } from '../shared/sdk-clients';
import { loadDeclarationsFile } from '../shared/declarations-file';
import { ArchiveSource } from './archive-source';
import { BackfillStore } from './backfill-store';
import { BackfillRangeError } from './core';
import { readBackfillEnv } from './env';
import { parseSliceRequest, type SliceRequestInput } from './request';
import { type BackfillSummary, runBackfill } from './run';

/** Endpoints from the SDK's own variables; emulators answer on a path and store checksum framing verbatim. */
function s3Client(env: NodeJS.ProcessEnv): S3Client {
  const emulated = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return new S3Client({
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS ?? 5),
    ...(emulated ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
  });
}

/** One item of the state machine's Map: a slice of a run, `dryRun` optional. */
export interface BackfillEvent extends SliceRequestInput {
  readonly dryRun?: boolean;
}

/** One slice per invocation; a failure throws, so the Map state sees it and the execution fails with it. */
export async function handler(
  event: BackfillEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<BackfillSummary> {
  const env = readBackfillEnv(process.env);
  const plan = planAggregates(loadDeclarationsFile(env.aggregatesFile), env.settings.defaultLatenessSeconds);
  const request = parseSliceRequest(event, plan);
  const store = new BackfillStore(dynamoDbClient(), env.tableName, {
    ttlDays: env.ttlDays,
    byTypeIndex: env.byTypeIndex,
    dryRun: event.dryRun === true,
  });
  try {
    return await runBackfill(
      { ...request, settings: env.settings, nowMs: Date.now() },
      new ArchiveSource(s3Client(process.env), env.archiveBucket),
      store,
      context === undefined ? {} : { remainingMs: () => context.getRemainingTimeInMillis() },
    );
  } catch (error) {
    if (error instanceof BackfillRangeError) throw new Error(`${error.flag.replace(/^--/, '')}: ${error.problem}`);
    throw error;
  }
}
