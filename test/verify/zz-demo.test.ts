import { it } from 'vitest';
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AggregatesStore } from '/work/main/lambda/aggregator/aggregates-store';
import { processBatch } from '/work/main/lambda/aggregator/batch-processor';
import { DeadLetterStore } from '/work/main/lambda/aggregator/dead-letter-store';
import { toInputRecords } from '/work/main/lambda/aggregator/handler';
import { planAggregates } from '/work/main/lambda/shared/aggregate-plan';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '/work/main/lambda/shared/declarations-file';
import { ExpectedAggregates } from '/work/main/loadgen/expect';
import { EventGenerator } from '/work/main/loadgen/scenarios';
import { main } from '/work/main/verify/cli';
import { createAggregatesTable, createBucket, startDynalite, startS3rver, testDynamoDb, testS3 } from '/work/main/test/support/emulators';
import { kinesisEvent, streamRecords } from '/work/main/test/support/kinesis-events';

it('demo', async () => {
  const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  const client = testDynamoDb(dynamo.endpoint);
  await createAggregatesTable(client, 'agg');
  await createBucket(testS3(s3.endpoint), 'dlq');
  const declarations = loadDeclarationsFile(PROJECT_AGGREGATES_FILE);
  const start = Date.UTC(2026, 10, 23, 9, 43);
  const made: { partitionKey: string; data: Buffer }[] = [];
  const expected = new ExpectedAggregates(declarations);
  for (const scenario of ['clickstream', 'logs', 'iot'] as const) {
    const g = new EventGenerator({ scenario, seed: 3, keys: 100, poisonRate: 0.01, startMs: start, rate: 50, keepValid: true } as never);
    for (let i = 0; i < 4000; i++) {
      const r = g.next() as never as { partitionKey: string; data: Buffer; valid: never[] };
      made.push({ partitionKey: r.partitionKey, data: r.data });
      for (const v of r.valid) expected.addValid(v);
    }
  }
  const store = new AggregatesStore(client, 'agg', { ttlDays: 7 });
  const plan = planAggregates(declarations, 7 * 86400);
  const records = streamRecords(made, Math.floor(start / 1000) + 200);
  for (let i = 0; i < records.length; i += 500) {
    await processBatch(toInputRecords(kinesisEvent(records.slice(i, i + 500))), store, new DeadLetterStore(testS3(s3.endpoint), 'dlq'), { plan });
  }
  expected.write('/tmp/vt/expect.json');
  await main(['--expect', '/tmp/vt/expect.json', '--table', 'agg', '--endpoint', dynamo.endpoint, '--wait', '0s']);
  const { Items } = await client.send(new ScanCommand({ TableName: 'agg', Limit: 5, FilterExpression: '#a = :a', ExpressionAttributeNames: { '#a': 'aggregate' }, ExpressionAttributeValues: { ':a': { S: 'pages' } } }));
  if (Items?.[0]) await client.send(new DeleteItemCommand({ TableName: 'agg', Key: { pk: Items[0].pk, sk: Items[0].sk } }));
  await main(['--expect', '/tmp/vt/expect.json', '--table', 'agg', '--endpoint', dynamo.endpoint, '--wait', '0s']);
  await Promise.all([dynamo.close(), s3.close()]);
}, 300_000);
