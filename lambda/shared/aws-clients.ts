import { DynamoDbItemClient } from './dynamodb-item-client';
import { type ObjectWriter, S3ObjectWriter, s3EndpointFromEnv } from './s3-object-writer';
import { endpointFromEnv, environmentCredentials, maxAttemptsFromEnv, regionFromEnv } from './signed-request';

/**
 * The aggregator's DynamoDB client, configured from the standard environment as the SDK's would be:
 * `AWS_REGION`, the credentials Lambda puts in the environment, `AWS_ENDPOINT_URL_DYNAMODB` /
 * `AWS_ENDPOINT_URL` (so the same code runs against the emulators), `AWS_MAX_ATTEMPTS`.
 */
export function dynamoDbItemClient(env: NodeJS.ProcessEnv = process.env): DynamoDbItemClient {
  const endpoint = endpointFromEnv(env, 'DYNAMODB');
  if (endpoint === undefined) {
    for (const name of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
      if (env[name]?.toLowerCase() === 'true') {
        throw new Error(`${name}: not supported by the aggregator's client; set AWS_ENDPOINT_URL_DYNAMODB instead`);
      }
    }
  }
  const client = new DynamoDbItemClient({
    region: regionFromEnv(env),
    credentials: () => environmentCredentials(env),
    ...(endpoint === undefined ? {} : { endpoint }),
    maxAttempts: maxAttemptsFromEnv(env),
  });
  for (const setup of dynamoDbSetups) setup(client);
  return client;
}

const dynamoDbSetups: ((client: DynamoDbItemClient) => void)[] = [];

/**
 * Runs `setup` on every aggregator DynamoDB client made in this process from now on. Local mode
 * registers its fault injection here before the aggregator makes its client; nothing deployed calls it.
 */
export function onDynamoDbClient(setup: (client: DynamoDbItemClient) => void): void {
  dynamoDbSetups.push(setup);
}

/** The dead-letter bucket's writer, configured from the same environment. */
export function s3ObjectWriter(env: NodeJS.ProcessEnv = process.env): ObjectWriter {
  const endpoint = s3EndpointFromEnv(env);
  return new S3ObjectWriter({
    credentials: () => environmentCredentials(env),
    region: regionFromEnv(env),
    ...(endpoint === undefined ? {} : { endpoint }),
    maxAttempts: maxAttemptsFromEnv(env),
  });
}
