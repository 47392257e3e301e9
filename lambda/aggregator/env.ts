import { DEFAULT_WINDOW_SECONDS } from '../shared/aggregate-item';

export interface AggregatorEnv {
  readonly tableName: string;
  readonly deadLetterBucket: string;
  readonly windowSeconds: number;
  readonly ttlDays: number;
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

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${name}: required environment variable is not set`);
  return value;
}

/** The aggregator's environment, as the design's handler contract names it. */
export function readAggregatorEnv(env: NodeJS.ProcessEnv): AggregatorEnv {
  return {
    tableName: required(env, 'TABLE_NAME'),
    deadLetterBucket: required(env, 'DEAD_LETTER_BUCKET'),
    windowSeconds: positiveInteger(env, 'WINDOW_SECONDS', DEFAULT_WINDOW_SECONDS),
    ttlDays: positiveInteger(env, 'AGGREGATE_TTL_DAYS', DEFAULT_TTL_DAYS),
  };
}
