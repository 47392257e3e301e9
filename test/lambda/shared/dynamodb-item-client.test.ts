import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbItemClient } from '../../../lambda/shared/aws-clients';
import {
  DynamoDbError,
  DynamoDbItemClient,
  isConditionalCheckFailed,
} from '../../../lambda/shared/dynamodb-item-client';
import {
  type Emulator,
  TEST_CREDENTIALS,
  TEST_REGION,
  createAggregatesTable,
  startDynalite,
  testDynamoDb,
  testItemClient,
  uniqueName,
} from '../../support/emulators';
import { type ScriptedAnswer, scriptedServer as scriptedServerOf } from '../../support/scripted-server';

const noSleep = (): Promise<void> => Promise.resolve();

describe('DynamoDbItemClient against dynalite', () => {
  let dynamo: Emulator;
  let table: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
    table = uniqueName('items');
    await createAggregatesTable(testDynamoDb(dynamo.endpoint), table);
  });

  afterAll(async () => {
    await dynamo?.close();
  });

  it('puts, updates and gets an item; binary values go as bytes and come back as the same bytes', async () => {
    const client = testItemClient(dynamo.endpoint);
    const key = { pk: { S: 'p' }, sk: { S: 'binary' } };
    const sketch = new Uint8Array([0, 1, 2, 250, 255]);
    await client.putItem({
      TableName: table,
      Item: { ...key, b: { B: sketch }, n: { N: '1' }, m: { M: { s: { S: 'x' } } } },
    });
    const updated = await client.updateItem({
      TableName: table,
      Key: key,
      UpdateExpression: 'ADD #n :one',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':one': { N: '2' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.Attributes?.n).toEqual({ N: '3' });
    const { Item } = await client.getItem({ TableName: table, Key: key, ConsistentRead: true });
    expect(Item?.m).toEqual({ M: { s: { S: 'x' } } });
    expect(Item?.b?.B).toBeInstanceOf(Uint8Array);
    expect([...Item!.b.B!]).toEqual([...sketch]);
    // The SDK reads the same bytes: the client wrote DynamoDB's base64, not a JSON rendering of an array.
    const viaSdk = await testDynamoDb(dynamo.endpoint).send(new GetItemCommand({ TableName: table, Key: key }));
    expect([...viaSdk.Item!.b.B!]).toEqual([...sketch]);
  });

  it('answers a refused condition with ConditionalCheckFailedException, which the stores recognise', async () => {
    const client = testItemClient(dynamo.endpoint);
    const item = { pk: { S: 'p' }, sk: { S: 'conditional' } };
    await client.putItem({ TableName: table, Item: item });
    const error = await client
      .putItem({
        TableName: table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDbError);
    expect(isConditionalCheckFailed(error)).toBe(true);
    expect((error as DynamoDbError).attempts).toBe(1);
  });

  it('names the operation and the code of an error no retry changes, after one attempt', async () => {
    const client = testItemClient(dynamo.endpoint, 5);
    const error = await client
      .getItem({ TableName: uniqueName('missing'), Key: { pk: { S: 'x' }, sk: { S: 'y' } } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', statusCode: 400, attempts: 1 });
    expect((error as Error).message).toMatch(
      /^DynamoDB GetItem failed after 1 attempt\(s\): ResourceNotFoundException \(HTTP 400\)/,
    );
  });
});

const scriptedServer = (answers: ScriptedAnswer[]) =>
  scriptedServerOf(answers, { contentType: 'application/x-amz-json-1.0', otherwise: { status: 200, body: '{}' } });

const awsError = (type: string, extra: object = {}): string =>
  JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'm', ...extra });

describe('DynamoDbItemClient protocol and retries', () => {
  it('sends AWS JSON 1.0 with the operation in X-Amz-Target', async () => {
    const { endpoint, seen, server } = await scriptedServer([{ status: 200, body: '{"Item":{"a":{"S":"b"}}}' }]);
    try {
      const client = new DynamoDbItemClient({ endpoint, region: 'eu-west-1', credentials: () => TEST_CREDENTIALS });
      const out = await client.getItem({ TableName: 't', Key: { pk: { S: 'k' } }, ConsistentRead: true });
      expect(out.Item).toEqual({ a: { S: 'b' } });
      expect(seen[0].headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(seen[0].headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(seen[0].headers.authorization).toMatch(/Credential=[^/]+\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
      expect(JSON.parse(seen[0].body)).toEqual({ TableName: 't', Key: { pk: { S: 'k' } }, ConsistentRead: true });
    } finally {
      server.close();
    }
  });

  it('retries throttling and 5xx answers with backoff, then succeeds', async () => {
    const { endpoint, seen, server } = await scriptedServer([
      { status: 400, body: awsError('ProvisionedThroughputExceededException') },
      { status: 400, body: awsError('ThrottlingException') },
      { status: 500, body: awsError('InternalServerError') },
      { status: 503, body: 'Service Unavailable' },
      { status: 200, body: '{}' },
    ]);
    try {
      const waits: number[] = [];
      const client = new DynamoDbItemClient({
        endpoint,
        region: TEST_REGION,
        credentials: () => TEST_CREDENTIALS,
        maxAttempts: 5,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      await client.putItem({ TableName: 't', Item: { pk: { S: 'k' } } });
      expect(seen).toHaveLength(5);
      expect(waits).toHaveLength(4);
    } finally {
      server.close();
    }
  });

  it('gives up after maxAttempts, with the last answer and the attempts', async () => {
    const { endpoint, seen, server } = await scriptedServer([
      { status: 500, body: awsError('InternalServerError') },
      { status: 500, body: awsError('InternalServerError') },
      { status: 502, body: '<html>bad gateway</html>' },
    ]);
    try {
      const client = new DynamoDbItemClient({
        endpoint,
        region: TEST_REGION,
        credentials: () => TEST_CREDENTIALS,
        maxAttempts: 3,
        sleep: noSleep,
      });
      const error = await client.updateItem({ TableName: 't', Key: { pk: { S: 'k' } } }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'Http502', statusCode: 502, attempts: 3 });
      expect(seen).toHaveLength(3);
    } finally {
      server.close();
    }
  });

  it('carries the item DynamoDB returns with a refused condition, binary values as bytes', async () => {
    const item = { pk: { S: 'k' }, s: { B: Buffer.from([9, 8, 7]).toString('base64') } };
    const { endpoint, server } = await scriptedServer([
      { status: 400, body: awsError('ConditionalCheckFailedException', { Item: item }) },
    ]);
    try {
      const client = new DynamoDbItemClient({ endpoint, region: TEST_REGION, credentials: () => TEST_CREDENTIALS });
      const error = await client
        .updateItem({ TableName: 't', Key: { pk: { S: 'k' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })
        .catch((e: unknown) => e);
      expect(isConditionalCheckFailed(error)).toBe(true);
      const returned = (error as DynamoDbError).Item!;
      expect(returned.pk).toEqual({ S: 'k' });
      expect([...returned.s.B!]).toEqual([9, 8, 7]);
    } finally {
      server.close();
    }
  });

  it('retries a dropped connection: the answer may be lost after the write, as with the SDK', async () => {
    const { endpoint, server } = await scriptedServer([]);
    await new Promise((resolve) => server.close(resolve));
    const client = new DynamoDbItemClient({
      endpoint,
      region: TEST_REGION,
      credentials: () => TEST_CREDENTIALS,
      maxAttempts: 2,
      sleep: noSleep,
    });
    await expect(client.getItem({ TableName: 't', Key: { pk: { S: 'k' } } })).rejects.toMatchObject({
      name: 'ECONNREFUSED',
      attempts: 2,
      statusCode: undefined,
    });
  });
});

describe('dynamoDbItemClient, configured from the environment', () => {
  const base = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' };

  it('refuses FIPS and dual-stack flags it cannot honour without an endpoint, naming the variable', () => {
    expect(() => dynamoDbItemClient({ ...base, AWS_USE_FIPS_ENDPOINT: 'true' })).toThrow(
      /^AWS_USE_FIPS_ENDPOINT: not supported/,
    );
    expect(() => dynamoDbItemClient({ ...base, AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toThrow(
      /^AWS_USE_DUALSTACK_ENDPOINT: not supported/,
    );
    expect(() =>
      dynamoDbItemClient({ ...base, AWS_USE_FIPS_ENDPOINT: 'true', AWS_ENDPOINT_URL_DYNAMODB: 'https://x' }),
    ).not.toThrow();
  });

  it('names a missing Region and a bad AWS_MAX_ATTEMPTS', () => {
    expect(() => dynamoDbItemClient({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toThrow(/^AWS_REGION/);
    expect(() => dynamoDbItemClient({ ...base, AWS_MAX_ATTEMPTS: '0' })).toThrow(/^AWS_MAX_ATTEMPTS/);
  });
});
