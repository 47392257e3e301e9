import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AGGREGATE_ATTR as A,
  TYPES_PARTITION,
  TYPE_LAST_SEEN,
  partitionKey,
  typeShardOf,
  watermarkAttribute,
  windowKey,
} from '../shared/aggregate-item';
import { type AggregateDelta, type DecodedEvent, deltaAfter, deltaBounds } from './core';

export interface AggregatesStoreOptions {
  readonly windowSeconds: number;
  /** Days an item is kept after its window closes, through the table's TTL attribute. */
  readonly ttlDays: number;
  /**
   * Items whose min and max this container remembers, so that most writes pick the right
   * conditional form at the first attempt.
   * @default 50_000
   */
  readonly rememberedItems?: number;
  /**
   * Conditional attempts per item before giving up on a hot item for this batch.
   * @default 8
   */
  readonly maxConditionalAttempts?: number;
}

export interface ApplyOutcome {
  /** UpdateItem requests sent, conditional failures included. */
  readonly writes: number;
  /** Times the item turned out to hold some of these records already. */
  readonly replays: number;
  /** The delta was already applied whole: nothing was added. */
  readonly skipped: boolean;
}

/** What the batch knows about where a delta's events came from. */
export interface DeltaSource {
  readonly shardId: string;
  readonly events: readonly DecodedEvent[];
  readonly sequenceOf: (recordIndex: number) => string;
}

interface Extremes {
  readonly min: number;
  readonly max: number;
}

/**
 * Writes aggregate deltas exactly once with one conditional UpdateItem per item.
 *
 * Each item carries, per shard, the watermark of the last record applied to it. The write
 * adds the batch's count and sum only if the watermark is below the delta's first record;
 * otherwise it re-reads the item and writes only the records after the watermark. DynamoDB
 * has no min()/max() in update expressions, so the write also states which of min and max
 * it replaces and guards that choice with a condition; a wrong guess costs one more attempt.
 */
export class AggregatesStore {
  private readonly extremes = new Map<string, Extremes>();
  /** When this container last recorded each type in the types partition. */
  private readonly typesRecorded = new Map<string, number>();
  private readonly rememberedItems: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: AggregatesStoreOptions,
  ) {
    this.rememberedItems = options.rememberedItems ?? 50_000;
    this.maxAttempts = options.maxConditionalAttempts ?? 8;
  }

  async apply(initial: AggregateDelta, source: DeltaSource): Promise<ApplyOutcome> {
    const windowStart = new Date(initial.windowStartMs).toISOString();
    const pk = partitionKey(initial.type, initial.key);
    const id = `${pk}\u0000${windowStart}`;
    const wmName = watermarkAttribute(source.shardId);
    let delta = initial;
    let known = this.recall(id);
    let writes = 0;
    let replays = 0;

    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const { first, last } = deltaBounds(delta, source.events, source.sequenceOf);
      const keepMin = known !== undefined && known.min <= delta.min;
      const keepMax = known !== undefined && known.max >= delta.max;
      writes++;
      try {
        await this.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [A.pk]: { S: pk }, [A.sk]: { S: windowStart } },
            UpdateExpression: [
              'SET #type = :type, #key = :key, #ws = :ws, #ts = :ts, #wk = :wk, #exp = :exp, #wm = :last',
              keepMin ? '' : ', #min = :min',
              keepMax ? '' : ', #max = :max',
              ' ADD #count :count, #sum :sum',
            ].join(''),
            ConditionExpression: [
              '(attribute_not_exists(#wm) OR #wm < :first)',
              keepMin ? '#min <= :min' : '(attribute_not_exists(#min) OR #min > :min)',
              keepMax ? '#max >= :max' : '(attribute_not_exists(#max) OR #max < :max)',
            ].join(' AND '),
            ExpressionAttributeNames: {
              '#type': A.type,
              '#key': A.key,
              '#ws': A.windowStart,
              '#ts': A.typeShard,
              '#wk': A.windowKey,
              '#exp': A.expiresAt,
              '#wm': wmName,
              '#min': A.min,
              '#max': A.max,
              '#count': A.count,
              '#sum': A.sum,
            },
            ExpressionAttributeValues: {
              ':type': { S: delta.type },
              ':key': { S: delta.key },
              ':ws': { S: windowStart },
              ':ts': { S: typeShardOf(delta.type, delta.key) },
              ':wk': { S: windowKey(windowStart, delta.key) },
              ':exp': { N: String(this.expiresAt(delta.windowStartMs)) },
              ':last': { S: last },
              ':first': { S: first },
              ':min': { N: String(delta.min) },
              ':max': { N: String(delta.max) },
              ':count': { N: String(delta.count) },
              ':sum': { N: String(delta.sum) },
            },
            // DynamoDB returns the item with the failure, saving the re-read; emulators may not.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember(id, {
          min: keepMin ? known!.min : delta.min,
          max: keepMax ? known!.max : delta.max,
        });
        return { writes, replays, skipped: false };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const item = error.Item ?? (await this.read(pk, windowStart, wmName));
        if (item === undefined || item[A.min]?.N === undefined || item[A.max]?.N === undefined) {
          known = undefined;
          continue;
        }
        known = { min: Number(item[A.min].N), max: Number(item[A.max].N) };
        const watermark = item[wmName]?.S;
        if (watermark !== undefined && watermark >= first) {
          replays++;
          const rest = deltaAfter(delta, source.events, watermark, source.sequenceOf);
          if (rest === undefined) {
            this.remember(id, known);
            return { writes, replays, skipped: true };
          }
          delta = rest;
        }
      }
    }
    throw new Error(`aggregate ${pk} @ ${windowStart}: still contended after ${this.maxAttempts} conditional attempts`);
  }

  /**
   * Records the types in the types partition, each at most once an hour per container: one small
   * write per type, not per batch, so the dashboard can list types without a Scan.
   */
  async recordTypes(types: Iterable<string>, now = Date.now()): Promise<void> {
    const due = [...types].filter((t) => now - (this.typesRecorded.get(t) ?? -Infinity) > 3_600_000);
    await Promise.all(
      due.map(async (type) => {
        await this.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [A.pk]: { S: TYPES_PARTITION }, [A.sk]: { S: type } },
            UpdateExpression: 'SET #type = :type, #seen = :seen, #exp = :exp',
            ExpressionAttributeNames: { '#type': A.type, '#seen': TYPE_LAST_SEEN, '#exp': A.expiresAt },
            ExpressionAttributeValues: {
              ':type': { S: type },
              ':seen': { S: new Date(now).toISOString() },
              ':exp': { N: String(Math.floor(now / 1000) + this.options.ttlDays * 86_400) },
            },
          }),
        );
        this.typesRecorded.set(type, now);
      }),
    );
  }

  private async read(
    pk: string,
    windowStart: string,
    wmName: string,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.dynamodb.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [A.pk]: { S: pk }, [A.sk]: { S: windowStart } },
        ConsistentRead: true,
        ProjectionExpression: '#wm, #min, #max',
        ExpressionAttributeNames: { '#wm': wmName, '#min': A.min, '#max': A.max },
      }),
    );
    return result.Item;
  }

  private expiresAt(windowStartMs: number): number {
    return Math.floor(windowStartMs / 1000) + this.options.windowSeconds + this.options.ttlDays * 86_400;
  }

  private recall(id: string): Extremes | undefined {
    const value = this.extremes.get(id);
    if (value !== undefined) {
      this.extremes.delete(id);
      this.extremes.set(id, value);
    }
    return value;
  }

  private remember(id: string, value: Extremes): void {
    this.extremes.delete(id);
    this.extremes.set(id, value);
    if (this.extremes.size > this.rememberedItems) {
      const oldest = this.extremes.keys().next();
      if (!oldest.done) this.extremes.delete(oldest.value);
    }
  }
}
