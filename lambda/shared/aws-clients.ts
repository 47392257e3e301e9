import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * SDK clients configured from the standard environment. Endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code runs against
 * AWS and against the local emulators.
 */
export function dynamoDbClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const client = new DynamoDBClient({ maxAttempts: Number(env.AWS_MAX_ATTEMPTS ?? 5) });
  for (const setup of dynamoDbSetups) setup(client);
  return client;
}

const dynamoDbSetups: ((client: DynamoDBClient) => void)[] = [];

/**
 * Runs `setup` on every DynamoDB client made in this process from now on. Local mode registers its
 * fault injection here before the aggregator makes its client; nothing deployed calls it.
 */
export function onDynamoDbClient(setup: (client: DynamoDBClient) => void): void {
  dynamoDbSetups.push(setup);
}

export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpointOverride = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return new S3Client({
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS ?? 5),
    // Emulators answer on a path, not on bucket subdomains, and store checksum framing verbatim.
    ...(endpointOverride ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
  });
}
