import type { AttributeValue, PutItemCommandInput, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  AGGREGATE_ATTR as A,
  plainAttributes,
  TYPES_PARTITION,
  TYPE_LAST_SEEN,
  itemKey,
  watermarkAttribute,
} from '../shared/aggregate-item';
import {
  NOTHING_APPLIED,
  appliedThrough,
  holeAttribute,
  holesOf,
  markerAttribute,
  needsHole,
} from '../shared/failure-registry';
import { type ItemClient, isConditionalCheckFailed } from '../shared/dynamodb-item-client';
import type { ExactUpdate } from '../shared/measures';
import { type DecodedEvent, type ItemDelta, deltaAfter, deltaBounds, deltaStates } from './core';

export interface AggregatesStoreOptions {
  /** Days an item is kept after its window closes, through the table's TTL attribute. */
  readonly ttlDays: number;
  /**
   * Write the `byType` index's key attributes on `by_key` items (only when the table has the index).
   * @default false
   */
  readonly byTypeIndex?: boolean;
  /**
   * Items whose extremes (exact items) or whole content (sketch items) this container remembers,
   * so that most writes need no read and pick the right conditional form at the first attempt.
   * A tenth of them at most may be sketch items.
   * @default 20_000
   */
  readonly rememberedItems?: number;
  /**
   * Conditional attempts per item before giving up on a contended item for this batch.
   * @default 10
   */
  readonly maxConditionalAttempts?: number;
}

export interface ApplyOutcome {
  /** Requests sent for the item: conditional writes, failed ones included, and reads. */
  readonly writes: number;
  readonly reads: number;
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
  /**
   * Set while the shard's failure registry holds ranges Lambda finished with below this attempt that
   * nobody redrove: the last record of them. The item then keeps its mark for them (a hole).
   */
  readonly gapEnd?: bigint;
  /** The attempt's first record: the name of the holes it writes. Required with `gapEnd`. */
  readonly attemptFirst?: string;
}

/** A failed range being redriven into the items, as the registry and the pointer tell it. */
export interface RedriveRange {
  readonly first: bigint;
  readonly last: bigint;
  /**
   * Some attempt registered records of the range, so items may hold some of them: the item's hole or
   * watermark says which. When false, no attempt wrote anything of it.
   */
  readonly registered: boolean;
}

type Item = Record<string, AttributeValue>;

/** What a container remembers of an item it wrote last. */
type Remembered =
  { readonly kind: 'extremes'; readonly values: Map<string, number> } | { readonly kind: 'item'; readonly item: Item };

/**
 * Writes item deltas exactly once. Each item carries, per shard, the watermark of the last record
 * applied to it (`w:<shard>`), and every write is conditional on it:
 *
 * - Items of exact measures only take one UpdateItem that ADDs the counts and sums if the shard's
 *   watermark is below the delta's first record. DynamoDB has no min()/max() in update expressions, so
 *   the write also states which extremes it replaces and guards that choice; a wrong guess costs one
 *   more attempt. On a failed condition it re-reads the item and writes only the records after the
 *   watermark.
 * - Items with sketches are read, merged in memory, and put back whole on the condition that their
 *   `version` is still the one read, so concurrent writers from other shards never lose each other's
 *   merges; the read is skipped when this container wrote the item last (one request, not two).
 */
export class AggregatesStore {
  private readonly remembered = new Map<string, Remembered>();
  /** Sketch items are kilobytes each, so fewer of them are remembered. */
  private rememberedWholeItems = 0;
  /** When this container last recorded each type in the types partition. */
  private readonly typesRecorded = new Map<string, number>();
  private readonly rememberedItems: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly dynamodb: ItemClient,
    private readonly tableName: string,
    private readonly options: AggregatesStoreOptions,
  ) {
    this.rememberedItems = options.rememberedItems ?? 20_000;
    this.maxAttempts = options.maxConditionalAttempts ?? 10;
  }

  async apply(delta: ItemDelta, source: DeltaSource): Promise<ApplyOutcome> {
    return delta.aggregate.sketches ? this.rewrite(delta, source) : this.add(delta, source);
  }

  /** Attributes every write sets: the plain ones readers use, and the TTL. */
  private keyOf(delta: ItemDelta): { key: Item; id: string } {
    const a = delta.aggregate;
    const { pk, sk } = itemKey(
      a.name,
      a.declaration.windows[delta.window],
      a.groupBy,
      delta.windowStartMs,
      delta.group,
    );
    return { key: { [A.pk]: { S: pk }, [A.sk]: { S: sk } }, id: `${pk}\u0000${sk}` };
  }

  private async add(initial: ItemDelta, source: DeltaSource): Promise<ApplyOutcome> {
    const { key, id } = this.keyOf(initial);
    const wmName = watermarkAttribute(source.shardId);
    const base = plainAttributes(initial, this.options);
    let delta = initial;
    const recalled = this.recall(id);
    let known = recalled?.kind === 'extremes' ? recalled.values : undefined;
    let writes = 0;
    let reads = 0;
    let replays = 0;
    // While a failed range waits for its redrive, the item's state before this write is its mark for
    // that range: read it, and pin it with the write.
    const holes = source.gapEnd !== undefined;
    let snapshot: Item | undefined;
    if (holes) {
      reads++;
      snapshot = await this.read(key);
    }

    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const held = snapshot?.[wmName]?.S;
      if (holes && held !== undefined) {
        const rest = deltaAfter(delta, source.events, held, source.sequenceOf);
        if (rest === undefined) return { writes, reads, replays: replays + 1, skipped: true };
        if (rest !== delta) replays++;
        delta = rest;
      }
      const { first, last } = deltaBounds(delta, source.events, source.sequenceOf);
      const states = deltaStates(delta, source.events);
      const names: Record<string, string> = { '#wm': wmName };
      const values: Record<string, AttributeValue> = { ':first': { S: first }, ':last': { S: last } };
      const sets = ['#wm = :last'];
      const adds: string[] = [];
      const conditions = ['(attribute_not_exists(#wm) OR #wm < :first)'];
      if (holes && needsHole(holesOf(snapshot, source.shardId), source.gapEnd)) {
        names['#h'] = holeAttribute(source.shardId, source.attemptFirst!);
        values[':h'] = { S: held ?? NOTHING_APPLIED };
        sets.push('#h = :h');
        conditions[0] = held === undefined ? 'attribute_not_exists(#wm)' : '#wm = :h';
        delete values[':first'];
      }
      const next = new Map<string, number>();
      exactChanges(delta, states, base, known, { names, values, sets, adds, conditions, next });
      writes++;
      try {
        await this.dynamodb.updateItem({
          ...exactUpdate(this.tableName, key, { names, values, sets, adds, conditions }),
          // DynamoDB returns the item with the failure, saving the re-read; emulators may not.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        for (const [attribute, value] of known ?? []) if (!next.has(attribute)) next.set(attribute, value);
        this.remember(id, { kind: 'extremes', values: next });
        return { writes, reads, replays, skipped: false };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        let item = error.Item;
        if (item === undefined) {
          reads++;
          item = await this.read(key);
        }
        if (holes) snapshot = item;
        known = extremesOf(delta, item);
        const watermark = item?.[wmName]?.S;
        if (watermark !== undefined && watermark >= first) {
          replays++;
          const rest = deltaAfter(delta, source.events, watermark, source.sequenceOf);
          if (rest === undefined) {
            this.remember(id, { kind: 'extremes', values: known });
            return { writes, reads, replays, skipped: true };
          }
          delta = rest;
        }
      }
    }
    throw new Error(`aggregate item ${id}: still contended after ${this.maxAttempts} conditional attempts`);
  }

  private async rewrite(initial: ItemDelta, source: DeltaSource): Promise<ApplyOutcome> {
    const { key, id } = this.keyOf(initial);
    const wmName = watermarkAttribute(source.shardId);
    let delta = initial;
    let writes = 0;
    let reads = 0;
    let replays = 0;
    const recalled = this.recall(id);
    let current: Item | undefined = recalled?.kind === 'item' ? recalled.item : undefined;
    let fromCache = current !== undefined;

    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (!fromCache) {
        reads++;
        current = await this.read(key);
      }
      const { first, last } = deltaBounds(delta, source.events, source.sequenceOf);
      const watermark = current?.[wmName]?.S;
      if (watermark !== undefined && watermark >= first) {
        replays++;
        const rest = deltaAfter(delta, source.events, watermark, source.sequenceOf);
        if (rest === undefined) {
          if (current !== undefined && writersOf(current) === 1) this.remember(id, { kind: 'item', item: current });
          return { writes, reads, replays, skipped: true };
        }
        delta = rest;
      }
      const item = mergedSketchItem(delta, source.events, current, { ...key, ...plainAttributes(delta, this.options) });
      if (source.gapEnd !== undefined && needsHole(holesOf(current, source.shardId), source.gapEnd)) {
        item[holeAttribute(source.shardId, source.attemptFirst!)] = { S: watermark ?? NOTHING_APPLIED };
      }
      item[wmName] = { S: last };
      writes++;
      try {
        await this.dynamodb.putItem(versionedPut(this.tableName, item, current));
        // A copy is worth keeping only while this shard writes the item alone: where other shards
        // write too, it is mostly stale, and a refused put costs the whole item's write units,
        // five times a read of it.
        if (writersOf(item) === 1) this.remember(id, { kind: 'item', item });
        else this.forget(id);
        return { writes, reads, replays, skipped: false };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // Another shard wrote in between (or the remembered copy was stale): read again, with a
        // short random pause after the first clash so that hot items' writers spread out.
        fromCache = false;
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
    this.forget(id);
    throw new Error(`aggregate item ${id}: still contended after ${this.maxAttempts} conditional attempts`);
  }

  /**
   * Applies the records of a failed range that the item lacks, once: one conditional write that also
   * sets the range's redrive marker, so that a second run finds the item done. The write is pinned
   * to the mark it read (the hole, or the watermark while no later attempt has written the item),
   * and leaves the watermark alone: later records of the shard may be in the item already.
   */
  async redrive(initial: ItemDelta, source: DeltaSource, range: RedriveRange): Promise<ApplyOutcome> {
    const { key, id } = this.keyOf(initial);
    this.forget(id);
    const wmName = watermarkAttribute(source.shardId);
    const marker = markerAttribute(source.shardId, range.first);
    const base = plainAttributes(initial, this.options);
    let writes = 0;
    let reads = 0;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      reads++;
      const current = await this.read(key);
      if (current?.[marker] !== undefined) return { writes, reads, replays: 1, skipped: true };
      // A backfill replaced the item from the archive after its window closed: it holds the range already.
      if (current?.[A.backfilledAt] !== undefined) return { writes, reads, replays: 1, skipped: true };
      const held = range.registered
        ? appliedThrough(current, source.shardId, wmName, range.last)
        : { mark: NOTHING_APPLIED };
      const delta = deltaAfter(initial, source.events, held.mark, source.sequenceOf);
      const replays = delta === initial ? 0 : 1;
      if (delta === undefined) return { writes, reads, replays, skipped: true };
      const names: Record<string, string> = { '#r': marker };
      const values: Record<string, AttributeValue> = { ':now': { N: String(Date.now()) } };
      const conditions = ['attribute_not_exists(#r)'];
      if (held.hole !== undefined) {
        names['#h'] = held.hole;
        values[':mark'] = { S: held.mark };
        conditions.push('#h = :mark');
      } else if (range.registered) {
        names['#wm'] = wmName;
        const w = current?.[wmName]?.S;
        if (w === undefined) conditions.push('attribute_not_exists(#wm)');
        else {
          values[':mark'] = { S: w };
          conditions.push('#wm = :mark');
        }
      }
      writes++;
      try {
        if (initial.aggregate.sketches) {
          const item = mergedSketchItem(delta, source.events, current, { ...key, ...base });
          item[marker] = values[':now'];
          await this.dynamodb.putItem(versionedPut(this.tableName, item, current));
        } else {
          const sets = ['#r = :now'];
          const adds: string[] = [];
          const next = new Map<string, number>();
          exactChanges(delta, deltaStates(delta, source.events), base, extremesOf(delta, current), {
            names,
            values,
            sets,
            adds,
            conditions,
            next,
          });
          await this.dynamodb.updateItem(exactUpdate(this.tableName, key, { names, values, sets, adds, conditions }));
        }
        return { writes, reads, replays, skipped: false };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    throw new Error(`aggregate item ${id}: still contended after ${this.maxAttempts} conditional attempts`);
  }

  /**
   * Records the types in the types partition, each at most once an hour per container: one small
   * write per type, not per batch, so the dashboard can list types without a Scan.
   */
  async recordTypes(types: Iterable<string>, now = Date.now()): Promise<void> {
    const due = [...types].filter((t) => now - (this.typesRecorded.get(t) ?? -Infinity) > 3_600_000);
    await Promise.all(
      due.map(async (type) => {
        await this.dynamodb.updateItem({
          TableName: this.tableName,
          Key: { [A.pk]: { S: TYPES_PARTITION }, [A.sk]: { S: type } },
          UpdateExpression: 'SET #type = :type, #seen = :seen, #exp = :exp',
          ExpressionAttributeNames: { '#type': A.type, '#seen': TYPE_LAST_SEEN, '#exp': A.expiresAt },
          ExpressionAttributeValues: {
            ':type': { S: type },
            ':seen': { S: new Date(now).toISOString() },
            ':exp': { N: String(Math.floor(now / 1000) + this.options.ttlDays * 86_400) },
          },
        });
        this.typesRecorded.set(type, now);
      }),
    );
  }

  private async read(key: Item): Promise<Item | undefined> {
    const result = await this.dynamodb.getItem({ TableName: this.tableName, Key: key, ConsistentRead: true });
    return result.Item;
  }

  private recall(id: string): Remembered | undefined {
    const value = this.remembered.get(id);
    if (value !== undefined) {
      this.remembered.delete(id);
      this.remembered.set(id, value);
    }
    return value;
  }

  private remember(id: string, value: Remembered): void {
    this.forget(id);
    this.remembered.set(id, value);
    if (value.kind === 'item') this.rememberedWholeItems++;
    while (this.remembered.size > this.rememberedItems || this.rememberedWholeItems > this.rememberedItems / 10) {
      const oldest = this.remembered.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
  }

  private forget(id: string): void {
    const value = this.remembered.get(id);
    if (value === undefined) return;
    this.remembered.delete(id);
    if (value.kind === 'item') this.rememberedWholeItems--;
  }
}

/** Shards whose watermark the item holds. */
function writersOf(item: Item): number {
  let n = 0;
  for (const name in item) if (name.startsWith('w:')) n++;
  return n;
}

interface ExactExpression {
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
  readonly sets: string[];
  readonly adds: string[];
  readonly conditions: string[];
  /** The extremes the item holds once the write succeeds. */
  readonly next: Map<string, number>;
}

/** The UpdateItem input of an exact item's conditional write, from its expression parts. */
function exactUpdate(
  tableName: string,
  key: Item,
  { names, values, sets, adds, conditions }: Omit<ExactExpression, 'next'>,
): UpdateItemCommandInput {
  return {
    TableName: tableName,
    Key: key,
    UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The plain attributes, the additions and the guarded extremes of an exact item's UpdateItem.
 * DynamoDB has no min()/max() in update expressions, so the write states which extremes it replaces
 * and guards that choice; a wrong guess (from `known`) costs one more attempt.
 */
function exactChanges(
  delta: ItemDelta,
  states: ReadonlyMap<string, unknown>,
  base: Item,
  known: ReadonlyMap<string, number> | undefined,
  { names, values, sets, adds, conditions, next }: ExactExpression,
): void {
  let n = 0;
  for (const [attribute, value] of Object.entries(base)) {
    names[`#b${n}`] = attribute;
    values[`:b${n}`] = value;
    sets.push(`#b${n} = :b${n}`);
    n++;
  }
  for (const m of delta.aggregate.measures) {
    const update: ExactUpdate = m.kind.update!(m.name, states.get(m.name));
    for (const [attribute, amount] of update.add ?? []) {
      names[`#a${n}`] = attribute;
      values[`:a${n}`] = { N: String(amount) };
      adds.push(`#a${n} :a${n}`);
      n++;
    }
    const x = update.extreme;
    if (x !== undefined) {
      const stored = known?.get(x.attribute);
      names[`#x${n}`] = x.attribute;
      values[`:x${n}`] = { N: String(x.value) };
      const keep = stored !== undefined && (x.keep === 'lower' ? stored <= x.value : stored >= x.value);
      if (keep) {
        conditions.push(x.keep === 'lower' ? `#x${n} <= :x${n}` : `#x${n} >= :x${n}`);
        next.set(x.attribute, stored);
      } else {
        sets.push(`#x${n} = :x${n}`);
        conditions.push(`(attribute_not_exists(#x${n}) OR #x${n} ${x.keep === 'lower' ? '>' : '<'} :x${n})`);
        next.set(x.attribute, x.value);
      }
      n++;
    }
  }
}

/** The extremes an exact item holds, by measure name. */
function extremesOf(delta: ItemDelta, item: Item | undefined): Map<string, number> {
  const known = new Map<string, number>();
  for (const m of delta.aggregate.measures) {
    if (m.declaration.op !== 'min' && m.declaration.op !== 'max') continue;
    const stored = item?.[m.name]?.N;
    if (stored !== undefined) known.set(m.name, Number(stored));
  }
  return known;
}

/**
 * A sketch item with the delta merged into what it stores, its version bumped: put back whole with
 * `versionedPut`, so that concurrent writers from other shards never lose each other's merges.
 */
function mergedSketchItem(
  delta: ItemDelta,
  events: readonly DecodedEvent[],
  current: Item | undefined,
  attributes: Item,
): Item {
  const stored = new Map<string, unknown>();
  for (const m of delta.aggregate.measures) {
    const state = current === undefined ? undefined : m.kind.load(m.name, current, m.declaration);
    if (state !== undefined) stored.set(m.name, state);
  }
  const states = deltaStates(delta, events, stored);
  const item: Item = { ...current, ...attributes };
  for (const m of delta.aggregate.measures) Object.assign(item, m.kind.store(m.name, states.get(m.name)));
  item[A.version] = { N: String(Number(current?.[A.version]?.N ?? 0) + 1) };
  return item;
}

/** The PutItem of a sketch item, conditional on the version read (or on there being none). */
function versionedPut(tableName: string, item: Item, current: Item | undefined): PutItemCommandInput {
  return current === undefined
    ? {
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': A.pk },
      }
    : {
        TableName: tableName,
        Item: item,
        ConditionExpression: '#v = :v',
        ExpressionAttributeNames: { '#v': A.version },
        ExpressionAttributeValues: { ':v': { N: current[A.version]?.N ?? '0' } },
      };
}
