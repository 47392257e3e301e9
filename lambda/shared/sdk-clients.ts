import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ItemClient } from './dynamodb-item-client';
import { maxAttemptsFromEnv } from './signed-request';

/**
 * An SDK DynamoDB client configured from the standard environment, for the functions and tools
 * that need more of DynamoDB than the aggregator's item calls (or the SDK's full credential chain).
 */
export function dynamoDbClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: maxAttemptsFromEnv(env) });
}

/** The aggregator's stores over an SDK client: the tools (redrive, verify) and tests use the SDK's chain and middleware. */
export function sdkItemClient(client: DynamoDBClient): ItemClient {
  return {
    getItem: (input) => client.send(new GetItemCommand(input)),
    putItem: (input) => client.send(new PutItemCommand(input)),
    updateItem: (input) => client.send(new UpdateItemCommand(input)),
  };
}
