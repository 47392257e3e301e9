import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultInjector } from '../../local/fault-injector';
import {
  type Emulator,
  createAggregatesTable,
  startDynalite,
  testDynamoDb,
  testItemClient,
  uniqueName,
} from '../support/emulators';

let dynamo: Emulator;
let table: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = uniqueName('faults');
  await createAggregatesTable(testDynamoDb(dynamo.endpoint), table);
});

afterAll(async () => {
  await dynamo?.close();
});

const put = (pk: string) => ({ TableName: table, Item: { pk: { S: pk }, sk: { S: 's' } } });
const get = (pk: string) => ({ TableName: table, Key: { pk: { S: pk }, sk: { S: 's' } }, ConsistentRead: true });

describe('faultInjector', () => {
  it('refuses every attempt of a write at rate 1, before it reaches the table, and leaves reads alone', async () => {
    const faults = faultInjector(1);
    const client = testItemClient(dynamo.endpoint, 3);
    faults.apply(client);
    await expect(client.putItem(put('refused'))).rejects.toMatchObject({ name: 'InternalServerError' });
    // The client retried it as a server error: each of its three attempts was drawn and refused.
    expect(faults.refused).toBe(3);
    expect((await client.getItem(get('refused'))).Item).toBeUndefined();
  });

  it('lets a retried write through when a later attempt is not drawn, and changes rate while running', async () => {
    const draws = [0.1, 0.9];
    const faults = faultInjector(0.5, () => draws.shift() ?? 0.9);
    const client = testItemClient(dynamo.endpoint, 3);
    faults.apply(client);
    await client.putItem(put('second-attempt'));
    expect(faults.refused).toBe(1);
    expect((await client.getItem(get('second-attempt'))).Item).toBeDefined();
    faults.rate = 0;
    await client.putItem(put('no-faults'));
    expect(faults.refused).toBe(1);
  });
});
