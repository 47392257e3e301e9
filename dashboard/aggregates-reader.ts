import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  AGGREGATE_ATTR as A,
  type AggregateRow,
  BY_TYPE_INDEX,
  TYPES_PARTITION,
  TYPE_LAST_SEEN,
  daysBetween,
  fnv1a,
  groupJson,
  partitionKey,
  partitionsOf,
  typeShards,
} from '../lambda/shared/aggregate-item';
import type { AggregateDeclaration } from '../lambda/shared/declarations';

export type { AggregateRow };
export type Item = Record<string, AttributeValue>;

export interface TypeRow {
  readonly type: string;
  readonly lastSeen: string;
}

/** Group fields to match: a string, or null for events that lacked the attribute. */
export type GroupFilter = Readonly<Record<string, string | null>>;

export interface ReadResult {
  /** Stored items, sorted by window start, then group. */
  readonly items: Item[];
  /** More items matched than `limit`. */
  readonly truncated: boolean;
}

/**
 * Every read is a Query: per UTC day and write partition of the aggregate (one partition when the
 * filter names the whole group), on the window-start range; a partial group filter is a
 * FilterExpression on the group attributes. See lambda/shared/aggregate-item.ts for the layout.
 */
export class AggregatesReader {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    readonly tableName: string,
    private readonly options: { readonly byTypeIndex?: boolean } = {},
  ) {}

  /** Items of one aggregate and window size with `fromMs <= windowStart < toMs`. */
  async items(
    aggregate: AggregateDeclaration,
    window: string,
    fromMs: number,
    toMs: number,
    filter: GroupFilter = {},
    limit = 50_000,
  ): Promise<ReadResult> {
    const fromIso = new Date(fromMs).toISOString();
    // BETWEEN is inclusive; window starts have millisecond precision, so the millisecond before `to` is exact.
    const lastIso = new Date(toMs - 1).toISOString();
    const whole = aggregate.groupBy.length > 0 && aggregate.groupBy.every((f) => f in filter);
    const partitions = whole
      ? [fnv1a(groupJson(aggregate.groupBy.map((f) => filter[f]))) % partitionsOf(aggregate.groupBy)]
      : Array.from({ length: partitionsOf(aggregate.groupBy) }, (_, i) => i);
    const names: Record<string, string> = { '#p': A.pk, '#s': A.sk };
    const values: Record<string, AttributeValue> = {};
    const conditions: string[] = [];
    Object.entries(filter).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      if (value === null) {
        conditions.push(`attribute_type(#f${i}, :f${i})`);
        values[`:f${i}`] = { S: 'NULL' };
      } else {
        conditions.push(`#f${i} = :f${i}`);
        values[`:f${i}`] = { S: value };
      }
    });
    const queries: QueryCommandInput[] = [];
    for (const day of daysBetween(fromMs, toMs)) {
      for (const partition of partitions) {
        queries.push({
          TableName: this.tableName,
          KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ...values,
            ':p': { S: partitionKey(aggregate.name, window, day, partition) },
            ':from': { S: fromIso },
            // `$` sorts right after `#`, so every `<windowStart>#<group>` of the last window is inside.
            ':to': { S: `${lastIso}$` },
          },
        });
      }
    }
    const pages = await Promise.all(queries.map((q) => this.queryAll(q, limit)));
    const items = pages.flatMap((p) => p.items);
    items.sort((a, b) => compare(a[A.sk]?.S ?? '', b[A.sk]?.S ?? ''));
    const truncated = pages.some((p) => p.truncated) || items.length > limit;
    return { items: items.slice(0, limit), truncated };
  }

  /**
   * The v1 rows of `by_key`: one type, one key or all. With the optional `byType` index, all keys of a
   * type are read from it (16 Queries on that type alone); without it, from the aggregate's partitions
   * with a filter on the type.
   */
  async v1Rows(
    byKey: AggregateDeclaration,
    type: string,
    fromMs: number,
    toMs: number,
    key?: string,
    limit = 50_000,
  ): Promise<{ items: AggregateRow[]; truncated: boolean }> {
    let result: ReadResult;
    if (key === undefined && this.options.byTypeIndex === true) {
      result = await this.byTypeIndex(type, fromMs, toMs, limit);
    } else {
      result = await this.items(
        byKey,
        byKey.windows[0],
        fromMs,
        toMs,
        key === undefined ? { type } : { type, key },
        limit,
      );
    }
    const rows = result.items.map(toRow);
    rows.sort((a, b) => compare(a.windowStart, b.windowStart) || compare(a.key, b.key));
    return { items: rows, truncated: result.truncated };
  }

  async types(): Promise<TypeRow[]> {
    const { items } = await this.queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': A.pk },
        ExpressionAttributeValues: { ':p': { S: TYPES_PARTITION } },
      },
      1_000,
    );
    return items
      .map((i) => ({ type: i[A.type]?.S ?? '', lastSeen: i[TYPE_LAST_SEEN]?.S ?? '' }))
      .filter((t) => t.type !== '');
  }

  private async byTypeIndex(type: string, fromMs: number, toMs: number, limit: number): Promise<ReadResult> {
    const last = new Date(toMs - 1).toISOString();
    const pages = await Promise.all(
      typeShards(type).map((shard) =>
        this.queryAll(
          {
            TableName: this.tableName,
            IndexName: BY_TYPE_INDEX,
            KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#p': A.typeShard, '#s': A.windowKey },
            ExpressionAttributeValues: {
              ':p': { S: shard },
              ':from': { S: new Date(fromMs).toISOString() },
              ':to': { S: `${last}$` },
            },
          },
          limit,
        ),
      ),
    );
    const items = pages.flatMap((p) => p.items);
    return { items: items.slice(0, limit), truncated: pages.some((p) => p.truncated) || items.length > limit };
  }

  private async queryAll(input: QueryCommandInput, limit: number): Promise<{ items: Item[]; truncated: boolean }> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.dynamodb.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
      if (items.length > limit) return { items, truncated: true };
    } while (start !== undefined);
    return { items, truncated: false };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRow(i: Item): AggregateRow {
  return {
    key: i[A.key]?.S ?? '',
    windowStart: i[A.windowStart]?.S ?? '',
    count: Number(i[A.count]?.N ?? 0),
    sum: Number(i[A.sum]?.N ?? 0),
    min: Number(i[A.min]?.N ?? 0),
    max: Number(i[A.max]?.N ?? 0),
  };
}
