import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatesTableDefinition } from '../../lambda/shared/table-definition';
import { main, parseRedriveOptions } from '../../redrive/cli';
import { SqsPointerSource } from '../../redrive/pointer-sources';
import { type Emulator, startDynalite, startS3rver, testDynamoDb, testS3 } from '../support/emulators';
import { createStream, startKinesalite, testKinesis } from '../support/kinesalite';

function capture(): { write: (chunk: string) => boolean; text: () => string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main(argv, out, err);
  return { code, out: out.text(), err: err.text() };
}

describe('npm run redrive: flags', () => {
  it('prints its usage with --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--stack', '--local', '--data-dir', '--dry-run', '--json', '--ttl-days']) {
      expect(r.out).toContain(flag);
    }
    expect(r.out).toMatch(/Exit 0 .* 1 .* 2/);
  });

  it.each([
    [[], /^--stack: give exactly one of --stack NAME .* or --local/],
    [['--stack', 'a', '--local'], /^--stack: give exactly one/],
    [['--stack', ''], /^--stack: must not be empty/],
    [['--stack', 'a', '--kinesis-port', '1'], /^--kinesis-port: only with --local/],
    [['--stack', 'a', '--data-dir', 'x'], /^--data-dir: only with --local/],
    [['--local', '--region', 'eu-west-1'], /^--region: only with --stack/],
    [['--local', '--dynamodb-port', 'abc'], /^--dynamodb-port: expected a port from 0 to 65535, got "abc"/],
    [['--local', '--ttl-days', '0'], /^--ttl-days: expected an integer from 1 to 3650, got "0"/],
    [['--local', '--aggregates', '/nonexistent/aggregates.json'], /^--aggregates: /],
    [['--local', '--retry'], /Unknown option '--retry'/],
    [['--stack'], /--stack/],
  ])('refuses %j, naming the flag, with exit 2 and no stack trace', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage: npm run redrive --');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it("takes local mode's flags with npm start's defaults", () => {
    expect(parseRedriveOptions(['--local']).local).toEqual({ kinesisPort: 4567, dynamodbPort: 4568, s3Port: 4569 });
    expect(parseRedriveOptions(['--stack', 'dev', '--dry-run', '--json'])).toMatchObject({
      stack: 'dev',
      dryRun: true,
      json: true,
    });
    expect(parseRedriveOptions(['--local', '--ttl-days', '30']).ttlDays).toBe(30);
  });
});

describe('npm run redrive -- --local', () => {
  let emulators: Emulator[];

  beforeAll(async () => {
    emulators = await Promise.all([startKinesalite(), startDynalite(), startS3rver()]);
    const [k, d, s] = emulators;
    await Promise.all([
      createStream(testKinesis(k.endpoint), 'events', 1),
      testDynamoDb(d.endpoint).send(new CreateTableCommand(aggregatesTableDefinition('aggregates'))),
      testS3(s.endpoint).send(new CreateBucketCommand({ Bucket: 'failed-batches' })),
    ]);
  });

  afterAll(async () => {
    await Promise.all((emulators ?? []).map((e) => e.close()));
  });

  it('finds nothing to redrive in a clean local mode, says so and exits 0', async () => {
    const ports = emulators.map((e) => new URL(e.endpoint).port);
    const args = ['--local', '--kinesis-port', ports[0], '--dynamodb-port', ports[1], '--s3-port', ports[2]];
    const text = await run(args);
    expect(text).toMatchObject({ code: 0, out: 'No failed batches to redrive.\n' });
    const json = await run([...args, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      source: 's3://failed-batches',
      dryRun: false,
      summary: { ranges: 0, applied: 0, expired: 0, failed: 0 },
      results: [],
    });
  });
});

/** An in-process SQS queue: no SQS emulator runs here. Messages received stay hidden until deleted. */
function fakeQueue(bodies: string[]): { client: Pick<SQSClient, 'send'>; deleted: string[]; calls: string[] } {
  const messages: Message[] = bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body }));
  const hidden = new Set<string>();
  const deleted: string[] = [];
  const calls: string[] = [];
  const client = {
    send: (command: unknown): Promise<unknown> => {
      calls.push((command as object).constructor.name);
      if (command instanceof GetQueueAttributesCommand) {
        return Promise.resolve({ Attributes: { ApproximateNumberOfMessages: String(messages.length) } });
      }
      if (command instanceof ReceiveMessageCommand) {
        const visible = messages.filter((m) => !hidden.has(m.MessageId!)).slice(0, 3);
        for (const m of visible) hidden.add(m.MessageId!);
        return Promise.resolve({ Messages: visible });
      }
      if (command instanceof DeleteMessageCommand) {
        deleted.push(command.input.ReceiptHandle!);
        return Promise.resolve({});
      }
      return Promise.reject(new Error(`unexpected ${calls[calls.length - 1]}`));
    },
  } as Pick<SQSClient, 'send'>;
  return { client, deleted, calls };
}

const pointer = (start: string, end: string): string =>
  JSON.stringify({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    KinesisBatchInfo: {
      shardId: 'shardId-000000000001',
      startSequenceNumber: start,
      endSequenceNumber: end,
      approximateArrivalOfFirstRecord: '2026-12-02T10:00:00.000Z',
      approximateArrivalOfLastRecord: '2026-12-02T10:00:05.000Z',
      batchSize: 100,
      streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
    },
  });

describe('SQS pointer source', () => {
  it('receives every message once, reports the unreadable ones, and deletes by receipt handle', async () => {
    const queue = fakeQueue([
      pointer('100', '200'),
      'not json',
      pointer('300', '400'),
      pointer('9', '1'),
      pointer('500', '600'),
    ]);
    const source = new SqsPointerSource(queue.client, 'https://sqs.eu-west-1.amazonaws.com/123456789012/failures');
    const bad: string[] = [];
    const pointers = await source.list((id, problem) => bad.push(`${id}: ${problem}`));
    expect(pointers.map((p) => [p.id, p.range.startSequenceNumber, p.range.endSequenceNumber])).toEqual([
      ['m0', '100', '200'],
      ['m2', '300', '400'],
      ['m4', '500', '600'],
    ]);
    expect(bad).toEqual([
      'm1: message m1: not JSON',
      'm3: message m3: KinesisBatchInfo.startSequenceNumber is after endSequenceNumber',
    ]);
    await source.remove(pointers[1]);
    expect(queue.deleted).toEqual(['r2']);
    await expect(source.remove({ ...pointers[1] })).rejects.toThrow(/not received by this run/);
    // Only the calls the redrive policy grants.
    expect([...new Set(queue.calls)].sort()).toEqual([
      'DeleteMessageCommand',
      'GetQueueAttributesCommand',
      'ReceiveMessageCommand',
    ]);
  });
});
