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
  partitionKey,
  typeShards,
} from '../lambda/shared/aggregate-item';

export type { AggregateRow };

export interface TypeRow {
  readonly type: string;
  readonly lastSeen: string;
}

/** Every read is a Query: on the table for one key, on the `byType` index (one per shard) for a type. */
export class AggregatesReader {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Windows with `fromIso <= windowStart < toIso`, one key or all, sorted by window then key. */
  async aggregates(
    type: string,
    fromIso: string,
    toIso: string,
    key?: string,
    limit = 50_000,
  ): Promise<{ items: AggregateRow[]; truncated: boolean }> {
    // BETWEEN is inclusive; window starts have millisecond precision, so the millisecond before `to` is exact.
    const last = new Date(Date.parse(toIso) - 1).toISOString();
    const queries: QueryCommandInput[] =
      key === undefined
        ? typeShards(type).map((shard) => ({
            TableName: this.tableName,
            IndexName: BY_TYPE_INDEX,
            KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#p': A.typeShard, '#s': A.windowKey },
            // `$` sorts right after `#`, so every `<window>#<key>` of the last window is inside.
            ExpressionAttributeValues: { ':p': { S: shard }, ':from': { S: fromIso }, ':to': { S: `${last}$` } },
          }))
        : [
            {
              TableName: this.tableName,
              KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#p': A.pk, '#s': A.sk },
              ExpressionAttributeValues: {
                ':p': { S: partitionKey(type, key) },
                ':from': { S: fromIso },
                ':to': { S: last },
              },
            },
          ];
    const pages = await Promise.all(queries.map((q) => this.queryAll(q, limit)));
    const items = pages.flatMap((p) => p.items).map(toRow);
    items.sort((a, b) =>
      a.windowStart < b.windowStart
        ? -1
        : a.windowStart > b.windowStart
          ? 1
          : a.key < b.key
            ? -1
            : a.key > b.key
              ? 1
              : 0,
    );
    const truncated = pages.some((p) => p.truncated) || items.length > limit;
    return { items: items.slice(0, limit), truncated };
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

  private async queryAll(
    input: QueryCommandInput,
    limit: number,
  ): Promise<{ items: Record<string, AttributeValue>[]; truncated: boolean }> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
      if (items.length > limit) return { items, truncated: true };
    } while (start !== undefined);
    return { items, truncated: false };
  }
}

function toRow(i: Record<string, AttributeValue>): AggregateRow {
  return {
    key: i[A.key]?.S ?? '',
    windowStart: i[A.windowStart]?.S ?? '',
    count: Number(i[A.count]?.N ?? 0),
    sum: Number(i[A.sum]?.N ?? 0),
    min: Number(i[A.min]?.N ?? 0),
    max: Number(i[A.max]?.N ?? 0),
  };
}
