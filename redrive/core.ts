import type { AggregatePlan } from '../lambda/shared/aggregate-plan';
import type { RegistryEntry, SequenceRange } from '../lambda/shared/failure-registry';

/** A failed batch as Lambda's on-failure record names it: one shard's range of sequence numbers. */
export interface FailedRange {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
  /** ISO-8601. */
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
}

const SEQUENCE = /^\d{1,129}$/;

/**
 * The range of an on-failure record (the body of an SQS message, or local mode's object), checked:
 * a record that is not one says where it came from and which field is wrong.
 */
export function parseFailedRange(body: string, where: string): FailedRange {
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const info = (record as { KinesisBatchInfo?: Record<string, unknown> } | null)?.KinesisBatchInfo;
  if (typeof info !== 'object' || info === null) throw new Error(`${where}: no KinesisBatchInfo`);
  const text = (field: string, pattern?: RegExp): string => {
    const v = info[field];
    if (typeof v !== 'string' || (pattern !== undefined && !pattern.test(v))) {
      throw new Error(`${where}: KinesisBatchInfo.${field} is missing or malformed`);
    }
    return v;
  };
  const range: FailedRange = {
    shardId: text('shardId', /^[\w-]{1,128}$/),
    startSequenceNumber: text('startSequenceNumber', SEQUENCE),
    endSequenceNumber: text('endSequenceNumber', SEQUENCE),
    streamArn: text('streamArn', /^arn:[\w-]+:kinesis:[\w-]+:\d{12}:stream\/[\w.-]+$/),
    approximateArrivalOfFirstRecord: text('approximateArrivalOfFirstRecord'),
    approximateArrivalOfLastRecord: text('approximateArrivalOfLastRecord'),
    batchSize: typeof info.batchSize === 'number' ? info.batchSize : 0,
  };
  if (BigInt(range.startSequenceNumber) > BigInt(range.endSequenceNumber)) {
    throw new Error(`${where}: KinesisBatchInfo.startSequenceNumber is after endSequenceNumber`);
  }
  for (const field of ['approximateArrivalOfFirstRecord', 'approximateArrivalOfLastRecord'] as const) {
    if (Number.isNaN(Date.parse(range[field]))) throw new Error(`${where}: KinesisBatchInfo.${field} is not a time`);
  }
  return range;
}

export function sequenceRange(r: FailedRange): SequenceRange {
  return { first: BigInt(r.startSequenceNumber), last: BigInt(r.endSequenceNumber) };
}

export function streamNameOf(streamArn: string): string {
  return streamArn.slice(streamArn.indexOf(':stream/') + ':stream/'.length);
}

/** Whether some attempt registered records of the range, so items may hold part of it. */
export function isRegistered(entries: readonly RegistryEntry[], range: SequenceRange): boolean {
  return entries.some((e) => e.first <= range.last && range.first <= e.last);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The backfill commands that recompute what an expired range held, one per declaration: its records
 * arrived between the range's first and last arrival times, and an event counts for a window up to
 * the declaration's lateness after the window ends, so the windows from the one holding
 * `first arrival - lateness` to the one holding the last arrival, rounded out to the declaration's
 * widest window so that every window size is whole.
 */
export function backfillCommands(range: FailedRange, plan: AggregatePlan, target: string): string[] {
  const firstMs = Date.parse(range.approximateArrivalOfFirstRecord);
  const lastMs = Date.parse(range.approximateArrivalOfLastRecord);
  return plan.aggregates.map((a) => {
    const widest = Math.max(...a.windowsMs);
    const from = Math.floor((firstMs - a.latenessMs) / widest) * widest;
    const to = (Math.floor(lastMs / widest) + 1) * widest;
    return `npm run backfill -- ${target} --aggregate ${a.name} --from ${iso(from)} --to ${iso(to)}`;
  });
}

export type RangeStatus =
  /** Every record the items lacked is applied now, and the pointer is deleted. */
  | 'applied'
  /** --dry-run: what a run would do, nothing written. */
  | 'planned'
  /** Past the stream's retention: only a backfill brings it back. */
  | 'expired'
  /** Something failed; the pointer stays for the next run. */
  | 'failed';

export interface RangeResult {
  readonly range: FailedRange;
  readonly status: RangeStatus;
  /** Kinesis records read back from the stream. */
  readonly records: number;
  readonly events: number;
  readonly poison: number;
  /** Aggregate items the range touches. */
  readonly items: number;
  /** Items that took a write; the others held the range already. */
  readonly written: number;
  /** Whether an attempt registered the range (else nothing of it was applied). */
  readonly registered: boolean;
  readonly reason?: string;
  readonly backfill?: readonly string[];
}

export interface RedriveSummary {
  readonly ranges: number;
  readonly applied: number;
  readonly planned: number;
  readonly expired: number;
  readonly failed: number;
  readonly records: number;
  readonly itemsWritten: number;
}

export function summarize(results: readonly RangeResult[]): RedriveSummary {
  const count = (s: RangeStatus): number => results.filter((r) => r.status === s).length;
  return {
    ranges: results.length,
    applied: count('applied'),
    planned: count('planned'),
    expired: count('expired'),
    failed: count('failed'),
    records: results.reduce((n, r) => n + r.records, 0),
    itemsWritten: results.reduce((n, r) => n + r.written, 0),
  };
}

/** 0 when nothing is left to redrive, 1 when some range is left (expired or failed). */
export function exitCode(summary: RedriveSummary): number {
  return summary.expired + summary.failed > 0 ? 1 : 0;
}

export function describeResult(r: RangeResult): string {
  const where = `${r.range.shardId} ${r.range.startSequenceNumber}..${r.range.endSequenceNumber}`;
  const what = `${r.records} records, ${r.items} items`;
  switch (r.status) {
    case 'applied':
      return `applied  ${where}: ${what}, ${r.written} written${r.registered ? '' : ' (never registered: applied whole)'}`;
    case 'planned':
      return `would redrive ${where}: ${what}${r.registered ? '' : ' (never registered: would apply whole)'}`;
    case 'expired':
      return [`EXPIRED  ${where}: ${r.reason}`, ...(r.backfill ?? []).map((c) => `  ${c}`)].join('\n');
    case 'failed':
      return `FAILED   ${where}: ${r.reason}`;
  }
}

export function describeSummary(s: RedriveSummary, dryRun: boolean): string {
  if (s.ranges === 0) return 'No failed batches to redrive.';
  return dryRun
    ? `${s.ranges} failed batches, ${s.records} records: ${s.planned} to redrive, ${s.expired} expired (dry run: nothing written)`
    : `${s.ranges} failed batches, ${s.records} records: ${s.applied} applied (${s.itemsWritten} items written), ${s.expired} expired, ${s.failed} failed`;
}
