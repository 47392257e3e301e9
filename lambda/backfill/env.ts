import * as path from 'node:path';
import { DEFAULT_AGGREGATES_FILE } from '../shared/declarations';
import type { BackfillSettings } from './core';

export interface BackfillEnv {
  readonly tableName: string;
  readonly archiveBucket: string;
  readonly ttlDays: number;
  readonly byTypeIndex: boolean;
  readonly aggregatesFile: string;
  readonly settings: BackfillSettings;
}

function positive(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${name}: required, a non-negative integer, got "${raw ?? ''}"`);
  }
  return value;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${name}: required environment variable is not set`);
  return value;
}

/** The backfill function's environment, set by lib/constructs/backfill.ts. */
export function readBackfillEnv(env: NodeJS.ProcessEnv, bundleDir: string = __dirname): BackfillEnv {
  const ttlDays = positive(env, 'AGGREGATE_TTL_DAYS');
  return {
    tableName: required(env, 'TABLE_NAME'),
    archiveBucket: required(env, 'ARCHIVE_BUCKET'),
    ttlDays,
    byTypeIndex: env.BY_TYPE_INDEX === 'true',
    aggregatesFile: env.AGGREGATES_FILE || path.join(bundleDir, DEFAULT_AGGREGATES_FILE),
    settings: {
      defaultLatenessSeconds: ttlDays * 86_400,
      bufferSeconds: positive(env, 'ARCHIVE_BUFFER_SECONDS'),
      maxRecordAgeSeconds: positive(env, 'MAX_RECORD_AGE_SECONDS'),
    },
  };
}
