import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Emulator, LOCAL_CREDENTIALS, LOCAL_REGION, startDynalite, startS3rver } from '../../local/emulators';
import { aggregatesTableDefinition } from '../../lambda/shared/table-definition';

export const TEST_CREDENTIALS = LOCAL_CREDENTIALS;
export const TEST_REGION = LOCAL_REGION;
export type { Emulator };
export { startDynalite, startS3rver };

export function testDynamoDb(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts });
}

export function testS3(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

let counter = 0;
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}`;
}

export async function createAggregatesTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(aggregatesTableDefinition(tableName)));
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}
