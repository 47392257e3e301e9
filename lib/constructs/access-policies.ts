import { Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEAD_LETTER_PREFIX } from '../../lambda/shared/constants';
import { BY_TYPE_INDEX } from '../../lambda/shared/aggregate-item';

export interface AccessPoliciesProps {
  /** The ingest stream; its `encryptionKey` is set when the stream has a customer-managed key. */
  readonly stream: IStream;
  readonly table: ITableV2;
  /**
   * The table has the `byType` index, which the dashboard and verify query when the stack says so.
   * @default false
   */
  readonly byTypeIndex?: boolean;
  readonly deadLetterBucket: IBucket;
  readonly failureQueue: IQueue;
}

/**
 * Customer managed policies for the principals outside the stack that use it, to attach to their
 * roles or users (docs/deploy.md says how). Each holds exactly the calls its clients send:
 *
 * - `producer`: what a producer such as the load generator (`npm run loadgen`) calls on the stream.
 * - `reader`: what `npm run dashboard` and `npm run verify` call against a deployed stack.
 * - `redrive`: what `npm run redrive -- --stack NAME` calls to apply the batches Lambda gave up on.
 */
export class AccessPolicies extends Construct {
  readonly producer: ManagedPolicy;
  readonly reader: ManagedPolicy;
  readonly redrive: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AccessPoliciesProps) {
    super(scope, id);

    this.producer = new ManagedPolicy(this, 'ProducerPolicy', {
      description: 'Writes records to the ingest stream of the streaming pipeline',
      statements: [
        // The load generator sends PutRecords, and with --kpl first lists the open shards to pack
        // records per shard; PutRecord is for producers that send one record per call.
        new PolicyStatement({
          actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards'],
          resources: [props.stream.streamArn],
        }),
        // Producers to a stream under a customer-managed key need kms:GenerateDataKey on it; the
        // aws/kinesis key needs no IAM permission (Kinesis Data Streams developer guide,
        // "Permissions to use user-generated KMS keys"). The key policy delegates to IAM.
        ...(props.stream.encryptionKey === undefined
          ? []
          : [
              new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.stream.encryptionKey.keyArn] }),
            ]),
      ],
    });

    // The table is encrypted with the AWS managed key aws/dynamodb: DynamoDB decrypts for any caller
    // it authorizes, so readers need no KMS permission (AWS KMS developer guide, "How Amazon
    // DynamoDB uses AWS KMS"). The bucket (SSE-S3) and the queue (SSE-SQS) use no KMS key.
    this.reader = new ManagedPolicy(this, 'ReaderPolicy', {
      description: 'Reads what the dashboard and verify CLIs show of the streaming pipeline',
      statements: [
        // The dashboard and verify find the table, bucket and queue from the stack's outputs.
        new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(this).stackId] }),
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [
            props.table.tableArn,
            ...(props.byTypeIndex === true ? [`${props.table.tableArn}/index/${BY_TYPE_INDEX}`] : []),
          ],
        }),
        // Poison records are counted by listing the poison/ prefix, and nothing else of the bucket.
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [props.deadLetterBucket.bucketArn],
          conditions: { StringEquals: { 's3:prefix': DEAD_LETTER_PREFIX } },
        }),
        new PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: [props.failureQueue.queueArn] }),
        // The batch lag percentiles: metrics have no ARN to name.
        new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      ],
    });

    this.redrive = new ManagedPolicy(this, 'RedrivePolicy', {
      description: 'Applies the batches the aggregator gave up on, from the on-failure queue, exactly once',
      statements: [
        new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(this).stackId] }),
        // The queue is encrypted with SSE-SQS, whose keys SQS owns: no KMS permission is needed to
        // receive from it.
        new PolicyStatement({
          actions: ['sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
          resources: [props.failureQueue.queueArn],
        }),
        // Each range is read back from its shard; after a run the shards are listed to tidy their
        // failure registries.
        new PolicyStatement({
          actions: ['kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
          resources: [props.stream.streamArn],
        }),
        // Consumers of a stream under a customer-managed key need kms:Decrypt on it (as the
        // aggregator's role has); the aws/kinesis key needs no IAM permission.
        ...(props.stream.encryptionKey === undefined
          ? []
          : [new PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.stream.encryptionKey.keyArn] })]),
        // Items are read and written as the aggregator does (PutItem for items with sketches), and the
        // shards' failure registries, which live in the same table.
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
          resources: [props.table.tableArn],
        }),
      ],
    });
    Validations.of(this.reader).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData reads metrics, which have no ARN: the CloudWatch permissions reference grants CloudWatch actions with "*" as the resource (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html); its one resource type in the Service Authorization Reference, a CloudWatch dataset, is optional and not what the dashboard reads. Read-only; every other statement names its resource.',
    });
  }
}
