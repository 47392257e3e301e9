import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct, IConstruct } from 'constructs';

export interface FirehoseRoleProps {
  readonly stream: IStream;
  readonly bucket: IBucket;
  /** The key prefixes Firehose may write under, each with a trailing slash. */
  readonly prefixes: readonly string[];
  readonly description: string;
}

/**
 * The role of a delivery stream whose source is the Kinesis stream and which writes to S3: exactly
 * the actions AWS documents for those two, on the stream and the bucket's prefixes, trusted by
 * Firehose for this account only. Destination-specific statements are added by the caller.
 */
export function firehoseRole(scope: Construct, id: string, props: FirehoseRoleProps): Role {
  const role = new Role(scope, id, {
    // The confused-deputy guard AWS documents for Firehose roles.
    assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'sts:ExternalId': Stack.of(scope).account } },
    }),
    description: props.description,
  });
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
      resources: [props.stream.streamArn],
    }),
  );
  if (props.stream.encryptionKey !== undefined) {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.stream.encryptionKey.keyArn] }),
    );
  }
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [props.bucket.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      resources: props.prefixes.map((p) => props.bucket.arnForObjects(`${p}*`)),
    }),
  );
  return role;
}

/** cdk-nag KDF1 asks for server-side encryption that a delivery stream with a Kinesis source cannot have. */
export function acknowledgeKinesisSourceEncryption(deliveryStream: IConstruct, encryptedIn: string): void {
  Validations.of(deliveryStream).acknowledge({
    id: 'AwsSolutions::AwsSolutions-KDF1',
    reason: `A delivery stream whose source is a Kinesis Data Stream cannot have server-side encryption of its own; the records are encrypted at rest in the KMS-encrypted stream and in ${encryptedIn}.`,
  });
}
