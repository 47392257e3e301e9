import {
  type CfnElement,
  CustomResource,
  Duration,
  Lazy,
  RemovalPolicies,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  type GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  ArnPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
  type IRole,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnResourcePolicy, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Domain, EngineVersion, TLSSecurityPolicy } from 'aws-cdk-lib/aws-opensearchservice';
import { EbsDeviceVolumeType } from 'aws-cdk-lib/aws-ec2';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SEARCH_INDEX } from '../../lambda/search-setup/core';
import { pipelineFunctionProps, SOURCE_MAPS_ENV } from './pipeline-function';

/** Pinned on purpose: a domain upgrade is a blue/green deployment to plan, not a side effect of a CDK bump. */
export const SEARCH_ENGINE_VERSION = EngineVersion.OPENSEARCH_2_19;

/** The actions a function in a VPC needs for its network interfaces; EC2 gives them no resource scope. */
const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface SearchDomainProps {
  /**
   * @default 't3.small.search'
   */
  readonly dataNodeType?: string;
  /**
   * @default 1
   */
  readonly dataNodes?: number;
  /**
   * Dedicated master nodes; 0 for none.
   * @default 0
   */
  readonly masterNodes?: number;
  /**
   * @default 'm7g.large.search'
   */
  readonly masterNodeType?: string;
  /**
   * gp3 volume per data node, in GiB.
   * @default 10
   */
  readonly volumeGiB?: number;
  /**
   * Zones the data nodes spread over; above 1 turns on zone awareness and one replica per shard.
   * @default 1
   */
  readonly availabilityZones?: number;
  /**
   * `none`: public endpoint, access by IAM policy only. `create`: a VPC of the stack's, isolated
   * subnets, no NAT. A VPC id: that VPC (looked up at synth), its private subnets.
   * @default 'none'
   */
  readonly vpc?: string;
  /**
   * OpenSearch users and roles inside the domain, with the setup function's role as master user.
   * @default false
   */
  readonly fineGrainedAccessControl?: boolean;
  /**
   * An existing role allowed to search the domain.
   * @default - none
   */
  readonly readerRoleArn?: string;
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
 * The OpenSearch domain the search leg writes to, sized by profile: encrypted at rest and between
 * nodes, HTTPS with TLS 1.2+ only, slow and error logs in CloudWatch. Its access policy names
 * roles, never `*`; {@link SearchDomain.allowWriter} adds the delivery role. A setup function
 * applies the index template (and, with fine-grained access control, the role mappings) at deploy.
 */
export class SearchDomain extends Construct {
  readonly domain: Domain;
  readonly vpc?: IVpc;
  readonly subnets?: ISubnet[];
  /** Security group of the domain's clients (Firehose, the setup function), when in a VPC. */
  readonly clientSecurityGroup?: ISecurityGroup;
  readonly setupFunction: NodejsFunction;
  readonly setup: CustomResource;
  readonly logGroups: { readonly slowSearch: LogGroup; readonly slowIndex: LogGroup; readonly errors: LogGroup };
  readonly shards: number;
  readonly replicas: number;
  private writerRoleArn?: string;

  constructor(scope: Construct, id: string, props: SearchDomainProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const azs = props.availabilityZones ?? 1;
    const dataNodes = props.dataNodes ?? 1;
    const masterNodes = props.masterNodes ?? 0;
    const vpcSetting = props.vpc ?? 'none';
    const fineGrained = props.fineGrainedAccessControl ?? false;
    this.shards = Math.max(1, Math.min(dataNodes, 5));
    this.replicas = azs > 1 ? 1 : 0;

    let domainSecurityGroup: SecurityGroup | undefined;
    let s3Endpoint: GatewayVpcEndpoint | undefined;
    if (vpcSetting !== 'none') {
      if (vpcSetting === 'create') {
        const created = this.createVpc(azs, retention, removalPolicy);
        this.vpc = created.vpc;
        s3Endpoint = created.s3Endpoint;
      } else {
        this.vpc = Vpc.fromLookup(this, 'Vpc', { vpcId: vpcSetting });
      }
      this.subnets = this.vpc.selectSubnets({
        subnetType: vpcSetting === 'create' ? SubnetType.PRIVATE_ISOLATED : SubnetType.PRIVATE_WITH_EGRESS,
        onePerAz: true,
        availabilityZones: this.vpc.availabilityZones.slice(0, azs),
      }).subnets;
      this.clientSecurityGroup = new SecurityGroup(this, 'ClientSecurityGroup', {
        vpc: this.vpc,
        description: 'Clients of the search domain: Firehose and the setup function',
        allowAllOutbound: true,
      });
      domainSecurityGroup = new SecurityGroup(this, 'DomainSecurityGroup', {
        vpc: this.vpc,
        description: 'Search domain: HTTPS from its clients only',
        allowAllOutbound: false,
      });
      domainSecurityGroup.addIngressRule(this.clientSecurityGroup, Port.tcp(443), 'HTTPS from the domain clients');
    }

    this.logGroups = {
      slowSearch: new LogGroup(this, 'SlowSearchLogs', { retention, removalPolicy }),
      slowIndex: new LogGroup(this, 'SlowIndexLogs', { retention, removalPolicy }),
      errors: new LogGroup(this, 'ErrorLogs', { retention, removalPolicy }),
    };
    // A native resource policy instead of the L2's custom resource: nothing to run at deploy.
    const logsPolicy = new CfnResourcePolicy(this, 'LogsResourcePolicy', {
      policyName: `${stack.stackName}-${this.node.addr.slice(0, 8)}-search-logs`,
      policyDocument: stack.toJsonString(
        new PolicyDocument({
          statements: [
            new PolicyStatement({
              principals: [new ServicePrincipal('es.amazonaws.com')],
              actions: ['logs:PutLogEvents', 'logs:CreateLogStream'],
              resources: Object.values(this.logGroups).map((g) => g.logGroupArn),
              conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
            }),
          ],
        }),
      ),
    });

    const setupRole = new Role(this, 'SetupRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Search setup: applies the index template and role mappings to the domain',
    });

    this.domain = new Domain(this, 'Domain', {
      version: SEARCH_ENGINE_VERSION,
      capacity: {
        dataNodes,
        dataNodeInstanceType: props.dataNodeType ?? 't3.small.search',
        ...(masterNodes > 0 ? { masterNodes, masterNodeInstanceType: props.masterNodeType ?? 'm7g.large.search' } : {}),
        // Standby needs three zones and a larger fleet; zone awareness is the chosen availability model.
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: props.volumeGiB ?? 10, volumeType: EbsDeviceVolumeType.GP3 },
      zoneAwareness: azs > 1 ? { enabled: true, availabilityZoneCount: azs } : { enabled: false },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: TLSSecurityPolicy.TLS_1_2_PFS,
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: this.logGroups.slowSearch,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: this.logGroups.slowIndex,
        appLogEnabled: true,
        appLogGroup: this.logGroups.errors,
      },
      suppressLogsResourcePolicy: true,
      ...(fineGrained ? { fineGrainedAccessControl: { masterUserArn: setupRole.roleArn } } : {}),
      ...(this.vpc === undefined
        ? {}
        : { vpc: this.vpc, vpcSubnets: [{ subnets: this.subnets }], securityGroups: [domainSecurityGroup!] }),
      removalPolicy,
    });
    this.domain.node.addDependency(logsPolicy);

    this.domain.addAccessPolicies(
      new PolicyStatement({
        principals: [new ArnPrincipal(setupRole.roleArn)],
        actions: ['es:ESHttpPut'],
        resources: [`${this.domain.domainArn}/*`],
      }),
    );
    if (props.readerRoleArn !== undefined && props.readerRoleArn !== '') {
      this.domain.addAccessPolicies(
        new PolicyStatement({
          principals: [new ArnPrincipal(props.readerRoleArn)],
          actions: ['es:ESHttpGet', 'es:ESHttpHead'],
          resources: [`${this.domain.domainArn}/*`],
        }),
        new PolicyStatement({
          principals: [new ArnPrincipal(props.readerRoleArn)],
          actions: ['es:ESHttpPost'],
          resources: [
            `${this.domain.domainArn}/${SEARCH_INDEX}-*/_search`,
            `${this.domain.domainArn}/${SEARCH_INDEX}-*/_count`,
          ],
        }),
      );
    }

    setupRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['es:ESHttpPut'],
        resources: [`${this.domain.domainArn}/_index_template/*`, `${this.domain.domainArn}/_plugins/_security/*`],
      }),
    );
    if (this.vpc !== undefined) {
      setupRole.addToPrincipalPolicy(new PolicyStatement({ actions: LAMBDA_VPC_ACTIONS, resources: ['*'] }));
    }
    const setupLogs = new LogGroup(this, 'SetupLogs', { retention, removalPolicy });
    setupRole.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [setupLogs.logGroupArn],
      }),
    );
    this.setupFunction = new NodejsFunction(this, 'SetupFunction', {
      ...pipelineFunctionProps('search-setup/handler.ts'),
      memorySize: 256,
      // Retries while a new domain settles, within CloudFormation's custom resource timeout below.
      timeout: Duration.minutes(10),
      role: setupRole,
      logGroup: setupLogs,
      description: 'Applies the index template and role mappings to the search domain at deploy',
      environment: { ...SOURCE_MAPS_ENV },
      ...(this.vpc === undefined
        ? {}
        : { vpc: this.vpc, vpcSubnets: { subnets: this.subnets }, securityGroups: [this.clientSecurityGroup!] }),
    });

    this.setup = new CustomResource(this, 'Setup', {
      serviceToken: this.setupFunction.functionArn,
      resourceType: 'Custom::SearchSetup',
      serviceTimeout: Duration.minutes(12),
      properties: {
        Endpoint: this.domain.domainEndpoint,
        FineGrainedAccessControl: String(fineGrained),
        WriterRoleArn: Lazy.string({ produce: () => this.writerRoleArn ?? '' }),
        ReaderRoleArn: props.readerRoleArn ?? '',
        Shards: String(this.shards),
        Replicas: String(this.replicas),
      },
    });
    // The setup role must be in the access policy before it calls; the template must exist before
    // the first document creates the day's index.
    this.setup.node.addDependency(this.domain, setupRole, this.domain.node.findChild('AccessPolicy'));
    // The function answers CloudFormation through S3; on delete the route must outlive the answer.
    if (s3Endpoint !== undefined) this.setup.node.addDependency(s3Endpoint);

    // A retained domain keeps its network interfaces in these subnets and security groups, its
    // master user role and its log policy: they stay with it, or deleting the stack would fail.
    for (const kept of [this.vpc, this.clientSecurityGroup, domainSecurityGroup, setupRole, logsPolicy]) {
      if (kept !== undefined) RemovalPolicies.of(kept).apply(removalPolicy);
    }

    this.acknowledge(setupRole, azs, masterNodes, removalPolicy);
    this.node.addValidation({
      validate: () => (this.writerRoleArn === undefined ? ['SearchDomain: no writer role; call allowWriter()'] : []),
    });
  }

  /** Lets the delivery role write documents: in the access policy and, with FGAC, in the role mapping. */
  allowWriter(role: IRole): void {
    this.domain.addAccessPolicies(
      new PolicyStatement({
        principals: [new ArnPrincipal(role.roleArn)],
        actions: ['es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpGet'],
        resources: [this.domain.domainArn, `${this.domain.domainArn}/*`],
      }),
    );
    this.writerRoleArn = role.roleArn;
  }

  private createVpc(
    azs: number,
    retention: RetentionDays,
    removalPolicy: RemovalPolicy,
  ): { vpc: Vpc; s3Endpoint: GatewayVpcEndpoint } {
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention, removalPolicy });
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: azs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'search', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        all: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.ALL },
      },
    });
    // The setup function answers CloudFormation through an S3 pre-signed URL; no internet route needed.
    const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3 });
    return { vpc, s3Endpoint };
  }

  private acknowledge(setupRole: Role, azs: number, masterNodes: number, removalPolicy: RemovalPolicy): void {
    const inVpc = this.vpc !== undefined;
    Validations.of(this.domain).acknowledge({
      id: 'AwsSolutions::AwsSolutions-OS3',
      reason: inVpc
        ? 'In a VPC, where OpenSearch Service accepts no IP-based policy: the domain security group admits HTTPS only from the client security group of Firehose and the setup function.'
        : 'search.vpc=none (dev profile): access is by SigV4-signed requests of the roles the access policy names, not by source address, which changes for Firehose.',
    });
    if (!inVpc) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions::AwsSolutions-OS1',
        reason:
          'search.vpc=none (dev profile): a public HTTPS endpoint whose access policy names only the pipeline roles, with SigV4 on every request; the prod profile puts the domain in a VPC.',
      });
    }
    if (masterNodes === 0) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions::AwsSolutions-OS4',
        reason:
          'search.masterNodes=0 (dev profile): one small data node, where a master quorum would triple the cost; prod runs three dedicated masters.',
      });
    }
    if (azs === 1) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions::AwsSolutions-OS7',
        reason:
          'search.availabilityZones=1 (dev profile): a single node has no replica to place in another zone; prod spreads over three.',
      });
    }
    const policy = setupRole.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: inVpc
        ? 'X-Ray (xray:PutTraceSegments, PutTelemetryRecords) and the VPC network interface actions Lambda needs support no resource-level permissions.'
        : 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    const domainId = Stack.of(this).getLogicalId(this.domain.node.defaultChild as CfnElement);
    for (const path of ['_index_template/*', '_plugins/_security/*']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${domainId}.Arn>/${path}]`,
        reason:
          'PUT only, on the two API paths the setup function writes: the index template and the security plugin roles and role mappings.',
      });
    }
    this.adoptAccessPolicyProvider(removalPolicy);
    Validations.of(this.setupFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by CloudFormation as a custom resource; a failure is reported to the stack, which rolls back.',
    });
  }

  /**
   * aws-cdk-lib's Domain applies its access policy through an AwsCustomResource (a policy naming
   * the domain's own ARN cannot be set on the domain in CloudFormation). Its singleton provider
   * function cannot be configured from here: its findings are acknowledged on it, with that reason.
   */
  private adoptAccessPolicyProvider(removalPolicy: RemovalPolicy): void {
    const stack = Stack.of(this);
    // The singleton's construct id: its lambda purpose, `AWS`, and its UUID without dashes.
    const provider = stack.node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider === undefined) return;
    // Its log group is retained by default; it follows the stack's removal policy like every other.
    const logGroup = provider.node.tryFindChild('LogGroup');
    if (logGroup instanceof LogGroup) logGroup.applyRemovalPolicy(removalPolicy);
    const why =
      "aws-cdk-lib's OpenSearch Domain sets its access policy through this AwsCustomResource provider, whose function and role the L2 does not expose for configuration.";
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `${why} The managed policy grants only CloudWatch Logs writes.`,
    });
    Validations.of(provider).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: `${why} CloudFormation invokes it synchronously and rolls back on failure.`,
    });
    Validations.of(provider).acknowledge({
      id: 'Serverless::Serverless-LambdaDefaultMemorySize',
      reason: `${why} It makes one UpdateDomainConfig call per deployment.`,
    });
    Validations.of(provider).acknowledge({
      id: 'Serverless::Serverless-LambdaTracing',
      reason: `${why} It runs only during deployments, whose events CloudTrail records.`,
    });
  }
}
