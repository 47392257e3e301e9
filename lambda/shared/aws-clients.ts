import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type Credentials,
  maxAttemptsFromEnv,
  type ObjectWriter,
  S3ObjectWriter,
  s3EndpointFromEnv,
} from './s3-object-writer';

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

/**
 * The dead-letter bucket's writer: S3 PutObject signed with the credentials and Region an SDK client
 * resolved (the SDK's standard provider chain, the Lambda environment's credentials when deployed),
 * the endpoint from the SDK's own variables, the attempts from `AWS_MAX_ATTEMPTS`.
 */
export function s3ObjectWriter(
  resolved: { credentials: () => Promise<Credentials>; region: () => Promise<string> },
  env: NodeJS.ProcessEnv = process.env,
): ObjectWriter {
  return new S3ObjectWriter({
    credentials: () => resolved.credentials(),
    region: resolved.region,
    endpoint: s3EndpointFromEnv(env),
    maxAttempts: maxAttemptsFromEnv(env),
  });
}
