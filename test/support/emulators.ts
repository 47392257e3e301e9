import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Emulator, LOCAL_CREDENTIALS, LOCAL_REGION, startDynalite, startS3rver } from '../../local/emulators';
import { aggregatesTableDefinition } from '../../lambda/shared/table-definition';
import { DynamoDbItemClient } from '../../lambda/shared/dynamodb-item-client';
import { type ObjectWriter, S3ObjectWriter } from '../../lambda/shared/s3-object-writer';
import { nodeTransport } from '../../lambda/shared/signed-request';
import type { FaultPlan } from './faults';

export const TEST_CREDENTIALS = LOCAL_CREDENTIALS;
export const TEST_REGION = LOCAL_REGION;
export type { Emulator };
export { startDynalite, startS3rver };

/** The aggregator's own DynamoDB client (the one it deploys with) against an emulator. */
export function testItemClient(endpoint: string, maxAttempts = 3): DynamoDbItemClient {
  return new DynamoDbItemClient({ endpoint, region: TEST_REGION, credentials: () => TEST_CREDENTIALS, maxAttempts });
}

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

/**
 * The aggregator's S3 writer against an emulator. A fault plan sees it as the SDK's PutObjectCommand:
 * 'fail' before the request, outside the retries; 'lose-answer' as a connection reset after the
 * server stored the object, inside them.
 */
export function testObjectWriter(endpoint: string, faults?: FaultPlan): ObjectWriter {
  let current: Record<string, unknown> = {};
  const http = nodeTransport();
  const writer = new S3ObjectWriter({
    endpoint,
    region: TEST_REGION,
    credentials: () => TEST_CREDENTIALS,
    transport: async (request) => {
      const answer = await http(request);
      if (faults?.('PutObjectCommand', current, 'answer') === 'lose-answer') {
        throw Object.assign(new Error('socket hang up (injected after the server applied the request)'), {
          code: 'ECONNRESET',
        });
      }
      return answer;
    },
  });
  return {
    putObject: async (input) => {
      current = { Bucket: input.bucket, Key: input.key };
      if (faults?.('PutObjectCommand', current, 'send') === 'fail') {
        throw Object.assign(new Error('injected failure of PutObjectCommand'), { name: 'InjectedFailure' });
      }
      await writer.putObject(input);
    },
  };
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
