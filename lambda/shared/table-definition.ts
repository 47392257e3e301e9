import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTR as A, BY_TYPE_INDEX, BY_TYPE_PROJECTION } from './aggregate-item';

/**
 * The aggregates table as the stack declares it, for emulators (local mode and tests).
 * TTL is left out: the stack sets it, and dynalite has no UpdateTimeToLive.
 */
export function aggregatesTableDefinition(
  tableName: string,
  options: { byTypeIndex?: boolean } = {},
): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: A.pk, AttributeType: 'S' },
      { AttributeName: A.sk, AttributeType: 'S' },
      ...(options.byTypeIndex === true
        ? [
            { AttributeName: A.typeShard, AttributeType: 'S' as const },
            { AttributeName: A.windowKey, AttributeType: 'S' as const },
          ]
        : []),
    ],
    KeySchema: [
      { AttributeName: A.pk, KeyType: 'HASH' },
      { AttributeName: A.sk, KeyType: 'RANGE' },
    ],
    ...(options.byTypeIndex === true
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: BY_TYPE_INDEX,
              KeySchema: [
                { AttributeName: A.typeShard, KeyType: 'HASH' },
                { AttributeName: A.windowKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: BY_TYPE_PROJECTION },
            },
          ],
        }
      : {}),
  };
}
