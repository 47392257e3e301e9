import { ArnFormat, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { acknowledgeKinesisSourceEncryption, firehoseRole } from './firehose-role';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IDomain } from 'aws-cdk-lib/aws-opensearchservice';
import { type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_WINDOW_SECONDS } from '../../lambda/shared/aggregate-item';
import { SEARCH_INDEX } from '../../lambda/shared/constants';
import { pipelineFunctionProps, SOURCE_MAPS_ENV } from './pipeline-function';
import { ec2Arn, nagResource } from './search-domain';

export const SEARCH_FAILED_PREFIX = 'search-failed/';
const TIME_PREFIX = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/** Read paths AWS documents for a Firehose role whose destination is an OpenSearch Service domain. */
function documentedGetPaths(domainArn: string): string[] {
  return [
    '_all/_settings',
    '_cluster/stats',
    `${SEARCH_INDEX}*/_mapping/*`,
    '_nodes',
    '_nodes/stats',
    '_nodes/*/stats',
    '_stats',
    `${SEARCH_INDEX}*/_stats`,
    '',
  ].map((p) => `${domainArn}/${p}`);
}

export interface SearchDeliveryProps {
  readonly stream: IStream;
  readonly domain: IDomain;
  /** Documents OpenSearch refuses, and records the transform refuses, are written here under `search-failed/`. */
  readonly backupBucket: IBucket;
  /**
   * Window width the transform writes as `windowStart`.
   * @default 60
   */
  readonly windowSeconds?: number;
  /**
   * @default 5
   */
  readonly bufferMiB?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly bufferInterval?: Duration;
  /**
   * How long Firehose retries a refused bulk request before backing its documents up.
   * @default Duration.minutes(5)
   */
  readonly retryDuration?: Duration;
  /** When the domain is in a VPC: the VPC, and the subnets and client security group Firehose's interfaces use. */
  readonly vpc?: { readonly vpc: IVpc; readonly subnets: ISubnet[]; readonly securityGroup: ISecurityGroup };
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Firehose from the stream to OpenSearch: the transform function normalizes each event into one
 * document per the index's mappings, Firehose writes to the daily `events-YYYY-MM-DD` index, and
 * whatever fails (refused by the transform or by OpenSearch) is backed up to S3 under
 * `search-failed/`. L1 for the same reason as the archive: the role holds only the documented actions.
 */
export class SearchDelivery extends Construct {
  readonly role: Role;
  readonly transform: NodejsFunction;
  readonly deliveryStream: CfnDeliveryStream;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SearchDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const transformLogs = new LogGroup(this, 'TransformLogs', { retention, removalPolicy });
    const transformRole = new Role(this, 'TransformRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Search transform: writes its own logs, nothing else',
    });
    transformRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [transformLogs.logGroupArn],
      }),
    );
    this.transform = new NodejsFunction(this, 'Transform', {
      ...pipelineFunctionProps('search-transform/handler.ts'),
      memorySize: 256,
      // Firehose waits up to 5 minutes for a transformation; a batch of 1 MiB takes milliseconds.
      timeout: Duration.minutes(1),
      role: transformRole,
      logGroup: transformLogs,
      description: 'Firehose transformation: events to normalized search documents',
      environment: {
        WINDOW_SECONDS: String(props.windowSeconds ?? DEFAULT_WINDOW_SECONDS),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...SOURCE_MAPS_ENV,
      },
    });

    this.logGroup = new LogGroup(this, 'LogGroup', { retention, removalPolicy });
    const deliveryLog = new LogStream(this, 'OpenSearchDelivery', { logGroup: this.logGroup, removalPolicy });
    const backupLog = new LogStream(this, 'S3Backup', { logGroup: this.logGroup, removalPolicy });

    this.role = firehoseRole(this, 'Role', {
      stream: props.stream,
      bucket: props.backupBucket,
      prefixes: [SEARCH_FAILED_PREFIX],
      description: 'Search delivery: reads the stream, writes the domain, backs failures up to S3',
    });
    const allow = (actions: string[], resources: string[]): void => {
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
    };
    allow(
      ['es:DescribeDomain', 'es:DescribeDomains', 'es:DescribeDomainConfig', 'es:ESHttpPost', 'es:ESHttpPut'],
      [props.domain.domainArn, `${props.domain.domainArn}/*`],
    );
    allow(['es:ESHttpGet'], documentedGetPaths(props.domain.domainArn));
    allow(
      ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      [this.transform.functionArn, `${this.transform.functionArn}:$LATEST`],
    );
    allow(
      ['logs:PutLogEvents'],
      [deliveryLog, backupLog].map((s) =>
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `${this.logGroup.logGroupName}:log-stream:${s.logStreamName}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    );
    if (props.vpc !== undefined) {
      // The eight actions the Firehose developer guide lists for an OpenSearch Service destination
      // in a VPC ("Grant Firehose access to an OpenSearch Service destination in a VPC"), each on the
      // resource types the Service Authorization Reference lists for it: the four Describe actions
      // have none, so IAM takes only "*"; DescribeVpcAttribute takes the VPC; CreateNetworkInterface
      // the network interface it creates, the subnet and the security group; the other two the
      // network interface. Network interface ids exist only once Firehose has made them.
      const networkInterfaces = ec2Arn(stack, 'network-interface', '*');
      allow(
        ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkInterfaces'],
        ['*'],
      );
      allow(['ec2:DescribeVpcAttribute'], [ec2Arn(stack, 'vpc', props.vpc.vpc.vpcId)]);
      allow(
        ['ec2:CreateNetworkInterface'],
        [
          ...props.vpc.subnets.map((s) => ec2Arn(stack, 'subnet', s.subnetId)),
          ec2Arn(stack, 'security-group', props.vpc.securityGroup.securityGroupId),
          networkInterfaces,
        ],
      );
      allow(['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'], [networkInterfaces]);
    }

    const bufferInterval = (props.bufferInterval ?? Duration.seconds(60)).toSeconds();
    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: this.role.roleArn },
      amazonopensearchserviceDestinationConfiguration: {
        domainArn: props.domain.domainArn,
        indexName: SEARCH_INDEX,
        indexRotationPeriod: 'OneDay',
        roleArn: this.role.roleArn,
        bufferingHints: { sizeInMBs: props.bufferMiB ?? 5, intervalInSeconds: bufferInterval },
        retryOptions: { durationInSeconds: (props.retryDuration ?? Duration.minutes(5)).toSeconds() },
        s3BackupMode: 'FailedDocumentsOnly',
        s3Configuration: {
          bucketArn: props.backupBucket.bucketArn,
          roleArn: this.role.roleArn,
          prefix: SEARCH_FAILED_PREFIX,
          errorOutputPrefix: `${SEARCH_FAILED_PREFIX}!{firehose:error-output-type}/${TIME_PREFIX}`,
          compressionFormat: 'GZIP',
          bufferingHints: { sizeInMBs: 5, intervalInSeconds: 300 },
          cloudWatchLoggingOptions: {
            enabled: true,
            logGroupName: this.logGroup.logGroupName,
            logStreamName: backupLog.logStreamName,
          },
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: [
                { parameterName: 'LambdaArn', parameterValue: this.transform.functionArn },
                { parameterName: 'NumberOfRetries', parameterValue: '3' },
              ],
            },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: deliveryLog.logStreamName,
        },
        ...(props.vpc === undefined
          ? {}
          : {
              vpcConfiguration: {
                roleArn: this.role.roleArn,
                subnetIds: props.vpc.subnets.map((s) => s.subnetId),
                securityGroupIds: [props.vpc.securityGroup.securityGroupId],
              },
            }),
      },
    });
    // Firehose checks the role's permissions when the stream is created.
    this.deliveryStream.node.addDependency(this.role);

    acknowledgeKinesisSourceEncryption(this.deliveryStream, 'the encrypted domain and the SSE-S3 backup bucket');
    const policy = this.role.node.findChild('DefaultPolicy');
    const bucketId = stack.getLogicalId(props.backupBucket.node.defaultChild as CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${SEARCH_FAILED_PREFIX}*]`,
      reason: `Firehose names each backup object at delivery time under ${SEARCH_FAILED_PREFIX}; object actions AWS documents for an S3 destination only.`,
    });
    const domainId = stack.getLogicalId(props.domain.node.defaultChild as CfnElement);
    for (const path of ['*', '_nodes/*/stats', `${SEARCH_INDEX}*/_mapping/*`, `${SEARCH_INDEX}*/_stats`]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${domainId}.Arn>/${path}]`,
        reason:
          'The OpenSearch destination paths AWS documents for a Firehose role: bulk writes under the domain, and read-only cluster, node and index stats it checks before delivering.',
      });
    }
    if (props.vpc !== undefined) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only ec2:DescribeVpcs, DescribeSubnets, DescribeSecurityGroups and DescribeNetworkInterfaces, four of the actions the Firehose guide lists for a destination in a VPC. The Service Authorization Reference lists no resource type for them: "If there is no value for this column, you must specify all resources ("*")".',
      });
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResource(stack, ec2Arn(stack, 'network-interface', '*'))}]`,
        reason:
          "Network interfaces Firehose creates in the stack's subnets at run time, so their ids are not known in advance: create, grant its service permission to use, and delete, in this account and Region only.",
      });
    }
    Validations.of(transformRole.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. The logs statement names the log group.',
    });
    Validations.of(this.transform).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by Firehose, which retries it and backs the records up to S3 under search-failed/ when it keeps failing; a DLQ applies to asynchronous invocations only.',
    });
  }
}
