import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TYPES_PARTITION } from '../../lambda/shared/aggregate-item';
import type { Expected } from './events';

/** Every aggregate item, read by the plain attributes readers use. Tests may Scan; the dashboard never does. */
export async function readAggregates(client: DynamoDBClient, tableName: string): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) {
      if (item.pk.S === TYPES_PARTITION || item.aggregate?.S !== 'by_key') continue;
      out.set(`${item.type.S}#${item.key.S}@${item.windowStart.S}`, {
        count: Number(item.count.N),
        sumCents: Math.round(Number(item.sum.N) * 100),
        min: Number(item.min.N),
        max: Number(item.max.N),
      });
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
  return out;
}

export async function readObjects(client: S3Client, bucket: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      out.set(o.Key!, await body.Body!.transformToString());
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return out;
}
