import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AGGREGATE_ATTR as A,
  dayOf,
  daysBetween,
  itemKey,
  partitionKey,
  partitionsOf,
  plainAttributes,
} from '../shared/aggregate-item';
import { settleAll } from '../shared/concurrency';
import type { PlannedAggregate } from '../shared/aggregate-plan';
import type { BackfilledItem, WindowSpan } from './core';

type Item = Record<string, AttributeValue>;

/** When a backfill last replaced the item (ISO-8601): a camelCase name no measure or group field can take. */
export const BACKFILLED_AT = A.backfilledAt;

export interface BackfillStoreOptions {
  /** Days an item is kept after its window closes, as the aggregator writes it. */
  readonly ttlDays: number;
  /** `by_key` items carry the `byType` index's keys. @default false */
  readonly byTypeIndex?: boolean;
  /** Requests in flight. @default 16 */
  readonly concurrency?: number;
  /** Count what would be written and deleted, and write nothing. @default false */
  readonly dryRun?: boolean;
}

export interface ReplaceOutcome {
  readonly written: number;
  readonly deleted: number;
}

const HIGHEST = '\uffff';

/**
 * What a replaced item keeps of the stored one: the per-shard watermarks (`w:`) and the redrive
 * markers (`r:`, lambda/shared/failure-registry.ts). Not the holes (`h:`): they say which records of
 * a failed range the item lacks, and the recomputation lacks none the archive holds.
 */
const KEPT = /^[wr]:/;

/**
 * Replaces what the table holds for closed windows: each recomputed item is put whole, and every
 * stored item of those windows that the recomputation did not produce is deleted. Stored items are
 * found by Query on the key layout (aggregate, window, day, partition; window start in the sort
 * key), never by Scan.
 *
 * A replaced item keeps the stored item's per-shard watermarks (`w:*`), so a Lambda retry of a
 * batch it already held is still refused as a replay, and its redrive markers (`r:*`), so a range
 * redriven before (whose records the archive holds) is not redriven into it again; every other
 * attribute is the recomputation's.
 * A sketch item's `version` moves past the stored one, so an aggregator container holding a copy of
 * the old item re-reads it before any write.
 */
export class BackfillStore {
  readonly dryRun: boolean;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: BackfillStoreOptions,
  ) {
    this.dryRun = options.dryRun === true;
  }

  async replace(
    aggregate: PlannedAggregate,
    spans: readonly WindowSpan[],
    items: readonly BackfilledItem[],
    now = new Date(),
  ): Promise<ReplaceOutcome> {
    const stored = new Map<string, Item>();
    for (const span of spans) for (const item of await this.storedItems(aggregate, span)) stored.set(idOf(item), item);
    const puts = items.map((item) => this.toItem(item, stored, now.toISOString()));
    const produced = new Set(puts.map(idOf));
    const deletes = [...stored.values()].filter((item) => !produced.has(idOf(item)));
    if (!this.dryRun) {
      const concurrency = this.options.concurrency ?? 16;
      const failures = [
        ...(await settleAll(puts, concurrency, (Item) =>
          this.dynamodb.send(new PutItemCommand({ TableName: this.tableName, Item })),
        )),
        ...(await settleAll(deletes, concurrency, (item) =>
          this.dynamodb.send(
            new DeleteItemCommand({ TableName: this.tableName, Key: { [A.pk]: item[A.pk], [A.sk]: item[A.sk] } }),
          ),
        )),
      ].filter((r) => !r.ok);
      if (failures.length > 0) {
        const first = failures[0] as { error: unknown };
        throw new Error(
          `${failures.length} of ${puts.length + deletes.length} writes failed; a rerun replaces them (first: ${(first.error as Error).message})`,
        );
      }
    }
    return { written: puts.length, deleted: deletes.length };
  }

  /** The stored items of a span of windows: one Query per day and write partition. */
  private async storedItems(aggregate: PlannedAggregate, span: WindowSpan): Promise<Item[]> {
    const window = aggregate.declaration.windows[span.window];
    const fromIso = new Date(span.first).toISOString();
    const lastIso = new Date(span.last).toISOString();
    const queries: { pk: string; from: string; to: string }[] = [];
    for (const day of daysBetween(span.first, span.last + 1)) {
      for (let p = 0; p < partitionsOf(aggregate.groupBy); p++) {
        queries.push({
          pk: partitionKey(aggregate.name, window, day, p),
          from: day === dayOf(span.first) ? fromIso : `${day}T`,
          to: day === dayOf(span.last) ? `${lastIso}#${HIGHEST}` : `${day}T${HIGHEST}`,
        });
      }
    }
    const pages = await settleAll(queries, this.options.concurrency ?? 16, async (q) => {
      const out: Item[] = [];
      let start: Item | undefined;
      do {
        const page = await this.dynamodb.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': A.pk, '#sk': A.sk },
            ExpressionAttributeValues: { ':pk': { S: q.pk }, ':from': { S: q.from }, ':to': { S: q.to } },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        out.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out;
    });
    return pages.flatMap((r) => {
      if (!r.ok) throw r.error;
      return r.value;
    });
  }

  private toItem(b: BackfilledItem, stored: ReadonlyMap<string, Item>, at: string): Item {
    const a = b.aggregate;
    const windowName = a.declaration.windows[b.window];
    const { pk, sk } = itemKey(a.name, windowName, a.groupBy, b.windowStartMs, b.group);
    const item: Item = {
      [A.pk]: { S: pk },
      [A.sk]: { S: sk },
      ...plainAttributes(b, this.options),
      [BACKFILLED_AT]: { S: at },
    };
    for (const m of a.measures) Object.assign(item, m.kind.store(m.name, b.states.get(m.name)));
    const old = stored.get(`${pk}\u0000${sk}`);
    for (const [name, value] of Object.entries(old ?? {})) if (KEPT.test(name)) item[name] = value;
    if (a.sketches) item[A.version] = { N: String(Number(old?.[A.version]?.N ?? 0) + 1) };
    return item;
  }
}

function idOf(item: Item): string {
  return `${item[A.pk].S}\u0000${item[A.sk].S}`;
}
