import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { AggregatesStore, type DeltaSource } from '../lambda/aggregator/aggregates-store';
import { decodeBatch, preAggregate } from '../lambda/aggregator/core';
import { FailureRegistryStore } from '../lambda/aggregator/failure-registry-store';
import type { AggregatePlan } from '../lambda/shared/aggregate-plan';
import { settleAll } from '../lambda/shared/concurrency';
import { cutOut, entryAttribute, redrivenAttribute } from '../lambda/shared/failure-registry';

const QUEUE_RETENTION_MS = 14 * 86_400_000;
import { type RangeResult, backfillCommands, isRegistered, sequenceRange, streamNameOf } from './core';
import type { Pointer, PointerSource } from './pointer-sources';
import { readRange } from './stream-range';
import { sdkItemClient } from '../lambda/shared/sdk-clients';

export interface RedriveDeps {
  readonly kinesis: Pick<KinesisClient, 'send'>;
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly plan: AggregatePlan;
  readonly source: PointerSource;
  /** The stream whose shards' registries are tidied once every pointer is handled. */
  readonly streamName: string;
  /**
   * A registry entry this old that no pointer left waiting overlaps is removed after a run: Lambda
   * sends a batch's pointer as it gives the batch up, so no pointer is still coming for it, and
   * its records are either applied or held no record at all (what is left of a range between two
   * bisected halves). Left in place, it would make every later write keep marks for it.
   * @default 3_600_000
   */
  readonly staleAfterMs?: number;
  /** The TTL the stack gives items, in days, as the aggregator writes it. */
  readonly ttlDays: number;
  /** What the backfill commands printed for an expired range target: `--stack NAME` or `--local`. */
  readonly backfillTarget: string;
  /** @default 16 */
  readonly concurrency?: number;
  readonly dryRun?: boolean;
  readonly onBadPointer?: (id: string, problem: string) => void;
  readonly onStart?: (pointers: number) => void;
  readonly onResult?: (result: RangeResult) => void;
  /**
   * Called between applying a range and deleting its pointer: tests stop a run there, as a crash would.
   */
  readonly beforeDelete?: (pointer: Pointer) => Promise<void>;
}

/**
 * Redrives every pointer the source holds, one at a time, in shard order: reads the range back from
 * the stream, folds it with the live path's own core and plan, and gives each item the records it
 * lacks (AggregatesStore.redrive). Only once every item is done is the pointer deleted, and then the
 * range cut out of the shard's registry; a run stopped before that finds the items it wrote marked
 * done and the others still judged by their marks.
 */
export interface RedriveRun {
  readonly results: RangeResult[];
  /** Stale registry entries removed after the run. */
  readonly registryEntriesRemoved: number;
}

export async function redriveAll(deps: RedriveDeps): Promise<RedriveRun> {
  const store = new AggregatesStore(sdkItemClient(deps.dynamodb), deps.tableName, {
    ttlDays: deps.ttlDays,
    rememberedItems: 0,
  });
  const registry = new FailureRegistryStore(sdkItemClient(deps.dynamodb), deps.tableName);
  const pointers = await deps.source.list(deps.onBadPointer ?? (() => undefined));
  pointers.sort((a, b) =>
    a.range.shardId !== b.range.shardId
      ? a.range.shardId < b.range.shardId
        ? -1
        : 1
      : BigInt(a.range.startSequenceNumber) < BigInt(b.range.startSequenceNumber)
        ? -1
        : 1,
  );
  deps.onStart?.(pointers.length);
  const results: RangeResult[] = [];
  for (const pointer of pointers) {
    let result: RangeResult;
    try {
      result = await redriveOne(deps, store, registry, pointer);
    } catch (error) {
      result = {
        range: pointer.range,
        status: 'failed',
        records: 0,
        events: 0,
        poison: 0,
        items: 0,
        written: 0,
        registered: false,
        reason: (error as Error).message,
      };
    }
    results.push(result);
    deps.onResult?.(result);
  }
  const registryEntriesRemoved = deps.dryRun === true ? 0 : await tidyRegistries(deps, registry, results);
  return { results, registryEntriesRemoved };
}

async function tidyRegistries(
  deps: RedriveDeps,
  registry: FailureRegistryStore,
  results: readonly RangeResult[],
): Promise<number> {
  const waiting = results
    .filter((r) => r.status !== 'applied')
    .map((r) => ({ shardId: r.range.shardId, ...sequenceRange(r.range) }));
  const shardIds: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.kinesis.send(
      new ListShardsCommand(token === undefined ? { StreamName: deps.streamName } : { NextToken: token }),
    );
    for (const shard of page.Shards ?? []) shardIds.push(shard.ShardId!);
    token = page.NextToken;
  } while (token !== undefined);
  const before = Date.now() - (deps.staleAfterMs ?? 3_600_000);
  let removed = 0;
  for (const shardId of shardIds) {
    const { entries, redriven } = await registry.readAll(shardId);
    const stale = entries.filter(
      (e) => e.since <= before && !waiting.some((w) => w.shardId === shardId && w.first <= e.last && e.first <= w.last),
    );
    // The on-failure queue keeps a message 14 days (lib/constructs/aggregator.ts): no copy comes after.
    const forgotten = redriven.filter((d) => d.since <= Date.now() - QUEUE_RETENTION_MS);
    await registry.change(shardId, {
      remove: [...stale.map(entryAttribute), ...forgotten.map(redrivenAttribute)],
      set: [],
    });
    removed += stale.length;
  }
  return removed;
}

async function redriveOne(
  deps: RedriveDeps,
  store: AggregatesStore,
  registry: FailureRegistryStore,
  pointer: Pointer,
): Promise<RangeResult> {
  const { range: failed } = pointer;
  const range = sequenceRange(failed);
  const { entries, redriven } = await registry.readAll(failed.shardId);
  if (redriven.some((d) => d.first <= range.first && range.last <= d.last)) {
    // The queue handed out a pointer again after its deletion: the range is in the items already.
    if (deps.dryRun !== true) await deps.source.remove(pointer);
    return {
      range: failed,
      status: deps.dryRun === true ? 'planned' : 'applied',
      records: 0,
      events: 0,
      poison: 0,
      items: 0,
      written: 0,
      registered: true,
      reason: 'redriven before',
    };
  }
  const registered = isRegistered(entries, range);
  const read = await readRange(deps.kinesis, streamNameOf(failed.streamArn), failed.shardId, range);
  if (!read.ok) {
    return {
      range: failed,
      status: 'expired',
      records: 0,
      events: 0,
      poison: 0,
      items: 0,
      written: 0,
      registered,
      reason: read.reason,
      backfill: backfillCommands(failed, deps.plan, deps.backfillTarget),
    };
  }
  const batch = decodeBatch(read.records);
  const { deltas } = preAggregate(batch.events, deps.plan);
  const counts = {
    range: failed,
    records: read.records.length,
    events: batch.events.length,
    poison: batch.poison.length,
    items: deltas.length,
    registered,
  };
  if (deps.dryRun === true) return { ...counts, status: 'planned', written: 0 };

  const source: DeltaSource = {
    shardId: failed.shardId,
    events: batch.events,
    sequenceOf: (i) => read.records[i].sequenceNumber,
  };
  const outcomes = await settleAll(deltas, deps.concurrency ?? 16, (d) =>
    store.redrive(d, source, { ...range, registered }),
  );
  const failures = outcomes.filter((o) => !o.ok);
  const written = outcomes.filter((o) => o.ok && !o.value.skipped).length;
  if (failures.length > 0) {
    const first = failures[0] as { ok: false; error: unknown };
    return {
      ...counts,
      status: 'failed',
      written,
      reason: `${failures.length} of ${deltas.length} items failed, the first: ${(first.error as Error).message}`,
    };
  }
  await deps.beforeDelete?.(pointer);
  await deps.source.remove(pointer);
  // Only after the pointer: a run stopped before it finds the range still registered, so items that
  // needed no write (and hold no marker) are judged by the same marks again.
  try {
    await registry.change(failed.shardId, {
      ...cutOut(await registry.read(failed.shardId), range),
      redriven: [{ ...range, since: Date.now() }],
    });
  } catch (error) {
    // Left registered, later attempts keep marks for the range that nobody reads; nothing is counted twice.
    return { ...counts, status: 'applied', written, reason: `registry not cleaned: ${(error as Error).message}` };
  }
  return { ...counts, status: 'applied', written };
}
