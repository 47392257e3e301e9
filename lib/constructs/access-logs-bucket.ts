import * as path from 'node:path';
import { PRIVATE_BUCKET } from './private-bucket';
import {
  Aspects,
  CustomResource,
  CustomResourceProviderBase,
  Duration,
  type IAspect,
  RemovalPolicy,
  Stack,
  Tags,
  determineLatestNodeRuntimeName,
} from 'aws-cdk-lib';
import { Bucket, CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';

export interface AccessLogsBucketProps {
  /**
   * @default Duration.days(90)
   */
  readonly expiry?: Duration;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The tag aws-cdk-lib's auto-delete handler requires on a bucket before it deletes its objects. */
export const AUTO_DELETE_TAG = 'aws-cdk:auto-delete-objects';

/**
 * The directory of aws-cdk-lib's own auto-delete handler, the code behind `autoDeleteObjects`. On a
 * delete it tries to add a bucket policy statement denying `s3:PutObject`, then deletes every object
 * version; it does nothing on create and update, and nothing to a bucket without {@link AUTO_DELETE_TAG}.
 */
const AUTO_DELETE_HANDLER = path.join(
  path.dirname(require.resolve('aws-cdk-lib/package.json')),
  'custom-resource-handlers',
  'dist',
  'aws-s3',
  'auto-delete-objects-handler',
);

/**
 * The auto-delete handler with a role of its own, granted on the access-log bucket by identity
 * policy. aws-cdk-lib's shared provider is granted through each bucket's policy instead, so its custom
 * resource must run before that policy is deleted, which is before the buckets that log here are.
 */
class EmptyLogBucketProvider extends CustomResourceProviderBase {
  constructor(scope: Construct, id: string, bucket: IBucket) {
    super(scope, id, {
      codeDirectory: AUTO_DELETE_HANDLER,
      runtimeName: determineLatestNodeRuntimeName(scope),
      // The handler answers CloudFormation itself, as aws-cdk-lib runs it.
      useCfnResponseWrapper: false,
      description: 'Empties the access-log bucket once every bucket that logs to it is deleted',
      policyStatements: [
        // The calls it makes (S3 API Reference): GetBucketTagging; ListObjectVersions, which
        // s3:ListBucketVersions authorizes; DeleteObjects of each version, which s3:DeleteObject
        // and s3:DeleteObjectVersion authorize. Its deny-writes step needs GetBucketPolicy and
        // PutBucketPolicy, not granted: the bucket policy is deleted before it runs (see below), and
        // the handler goes on to empty the bucket when that step fails.
        {
          Effect: 'Allow',
          Action: ['s3:GetBucketTagging', 's3:ListBucketVersions'],
          Resource: bucket.bucketArn,
        },
        {
          Effect: 'Allow',
          Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          Resource: bucket.arnForObjects('*'),
        },
      ],
    });
  }
}

/** Makes every bucket of the stack whose server access logs go to `target` depend on `emptied`. */
class LogWritersFirst implements IAspect {
  constructor(
    private readonly target: CfnBucket,
    private readonly emptied: CustomResource,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnBucket) || node === this.target) return;
    const stack = Stack.of(node);
    if (stack !== Stack.of(this.target)) return;
    const logging = stack.resolve(node.loggingConfiguration) as { destinationBucketName?: unknown } | undefined;
    if (logging?.destinationBucketName === undefined) return;
    const target = JSON.stringify(stack.resolve(this.target.ref));
    if (JSON.stringify(logging.destinationBucketName) === target) node.node.addDependency(this.emptied);
  }
}

/**
 * Target of the other buckets' server access logs.
 *
 * With `RemovalPolicy.DESTROY` (dev), deleting the stack empties and deletes it last:
 *
 * 1. its bucket policy goes first. It holds the grant to the logging service principal, without which
 *    S3 cannot deliver a log: the writes "are subject to the usual access control restrictions", and
 *    with ACLs disabled (bucket owner enforced) only a bucket policy grants them (S3 User Guide,
 *    "Enabling Amazon S3 server access logging", Permissions for log delivery);
 * 2. every bucket that logs here is emptied and deleted (each depends on the custom resource below);
 * 3. the custom resource then deletes every object in it, and the bucket is deleted.
 *
 * `autoDeleteObjects` empties it at the start instead, while the other buckets are still being emptied
 * and deleted, and S3 delivers most access logs within a few hours of the request, some long after
 * (S3 User Guide, "Logging requests using server access logging", Best effort server log delivery):
 * a log arriving after the empty leaves it not empty and the stack fails to delete (aws/aws-cdk#21776).
 * Turning the other buckets' logging off would not close that window either: a change to a bucket's
 * logging status takes time to affect delivery (same page, Bucket logging status changes).
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: IBucket;
  /** With `RemovalPolicy.DESTROY`: deletes the logs once every bucket that logs here is deleted. */
  readonly emptyOnDelete?: CustomResource;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ expiration: props.expiry ?? Duration.days(90) }],
      removalPolicy,
    });
    this.bucket = bucket;
    if (removalPolicy !== RemovalPolicy.DESTROY) return;

    const provider = new EmptyLogBucketProvider(this, 'EmptyProvider', bucket);
    this.emptyOnDelete = new CustomResource(this, 'EmptyOnDelete', {
      resourceType: 'Custom::S3AutoDeleteObjects',
      serviceToken: provider.serviceToken,
      properties: { BucketName: bucket.bucketName },
    });
    Tags.of(bucket).add(AUTO_DELETE_TAG, 'true');
    // Deleted before the custom resource runs: log delivery has lost its grant when the bucket is emptied.
    bucket.policy?.node.addDependency(this.emptyOnDelete);
    Aspects.of(Stack.of(this)).add(new LogWritersFirst(bucket.node.defaultChild as CfnBucket, this.emptyOnDelete));
  }
}
