import * as path from 'node:path';
import { DEFAULT_AGGREGATES_FILE } from '../shared/declarations';

export interface AggregatorEnv {
  readonly tableName: string;
  readonly deadLetterBucket: string;
  readonly ttlDays: number;
  /** The declarations file: bundled beside the handler when deployed, the repository's in local mode. */
  readonly aggregatesFile: string;
  /** Whether the table has the optional `byType` index, whose keys `by_key` items then carry. */
  readonly byTypeIndex: boolean;
}

export const DEFAULT_TTL_DAYS = 30;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name}: must be a positive integer, got "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new Error(`${name}: must be true or false, got "${raw}"`);
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${name}: required environment variable is not set`);
  return value;
}

/** The aggregator's environment, as the design's handler contract names it. */
export function readAggregatorEnv(env: NodeJS.ProcessEnv, bundleDir: string = __dirname): AggregatorEnv {
  return {
    tableName: required(env, 'TABLE_NAME'),
    deadLetterBucket: required(env, 'DEAD_LETTER_BUCKET'),
    ttlDays: positiveInteger(env, 'AGGREGATE_TTL_DAYS', DEFAULT_TTL_DAYS),
    aggregatesFile: env.AGGREGATES_FILE || path.join(bundleDir, DEFAULT_AGGREGATES_FILE),
    byTypeIndex: flag(env, 'BY_TYPE_INDEX'),
  };
}
