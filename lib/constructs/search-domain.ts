import {
  type CfnElement,
  CustomResource,
  Duration,
  Fn,
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
  CfnServiceLinkedRole,
  Effect,
  PolicyDocument,
  PolicyStatement,
  type IRole,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnResourcePolicy, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type CfnDomain, Domain, EngineVersion, TLSSecurityPolicy } from 'aws-cdk-lib/aws-opensearchservice';
import { EbsDeviceVolumeType } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { SEARCH_INDEX } from '../../lambda/shared/constants';
import { pipelineFunctionProps, SOURCE_MAPS_ENV } from './pipeline-function';

/** Pinned on purpose: a domain upgrade is a blue/green deployment to plan, not a side effect of a CDK bump. */
export const SEARCH_ENGINE_VERSION = EngineVersion.OPENSEARCH_2_19;

/** The service principal of OpenSearch Service's service-linked role, `AWSServiceRoleForAmazonOpenSearchService`. */
export const OPENSEARCH_SLR_SERVICE = 'opensearchservice.amazonaws.com';

/** Characters of the stack name a domain name keeps: 15, a dash and 12 hex digits make OpenSearch's 28. */
const DOMAIN_NAME_PREFIX_LENGTH = 15;

/**
 * The stack name, lowercased, as the start of a domain name: OpenSearch Service takes 3 to 28 of
 * `a-z`, `0-9` and `-`, starting with a letter (API reference, `DomainName`).
 */
export function domainNamePrefix(stackName: string): string {
  const cleaned = stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, DOMAIN_NAME_PREFIX_LENGTH)
    .replace(/-+$/, '');
  return cleaned === '' ? 'search' : cleaned;
}

/**
 * The domain's name, fixed for the life of the stack: the stack-name prefix, then the first two
 * groups (12 hex digits) of the UUID that ends the stack's id (`arn:...:stack/<name>/<uuid>`, the
 * `AWS::StackId` pseudo parameter). Known before the domain exists, it makes the domain's ARN
 * writable into the domain's own access policy without a reference cycle; taken from the id, which
 * is new for every stack created, it gives a stack deployed again after `cdk destroy` a new name
 * instead of the one the domain a prod destroy retains still holds.
 */
export function searchDomainName(stack: Stack): string {
  const uuid = Fn.split('-', Fn.select(2, Fn.split('/', stack.stackId)));
  return Fn.join('', [`${domainNamePrefix(stack.stackName)}-`, Fn.select(0, uuid), Fn.select(1, uuid)]);
}

/**
 * An EC2 resource of the stack's partition, Region and account, in the ARN format of the Service
 * Authorization Reference (`arn:${Partition}:ec2:${Region}:${Account}:<type>/<id>`).
 */
export function ec2Arn(
  stack: Stack,
  type: 'vpc' | 'subnet' | 'security-group' | 'network-interface',
  id: string,
): string {
  return stack.formatArn({ service: 'ec2', resource: type, resourceName: id });
}

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
  /**
   * Creates OpenSearch Service's service-linked role (`AWSServiceRoleForAmazonOpenSearchService`)
   * from the stack, the domain depending on it. It is one per account: only where the account has
   * neither it nor the legacy Elasticsearch role. It is kept when the stack is deleted.
   * @default false
   */
  readonly createServiceLinkedRole?: boolean;
}

/**
 * The OpenSearch domain the search leg writes to, sized by profile: encrypted at rest and between
 * nodes, HTTPS with TLS 1.2+ only, slow and error logs in CloudWatch. Its access policy names
 * roles, never `*`; {@link SearchDomain.allowWriter} adds the delivery role. A setup function
 * applies the index template (and, with fine-grained access control, the role mappings) at deploy.
 */
export class SearchDomain extends Construct {
  readonly domain: Domain;
  /** The domain's name (a token: made at deploy time from the stack's id; see {@link searchDomainName}). */
  readonly domainName: string;
  /** The domain's ARN built from its name, for its own access policy. */
  readonly domainArnFromName: string;
  /** The domain's access policy, set on the domain resource itself (`AccessPolicies`). */
  readonly accessPolicy: PolicyDocument;
  readonly vpc?: IVpc;
  readonly subnets?: ISubnet[];
  /** Security group of the domain's clients (Firehose, the setup function), when in a VPC. */
  readonly clientSecurityGroup?: ISecurityGroup;
  /** The service-linked role, when `createServiceLinkedRole` is set. */
  readonly serviceLinkedRole?: CfnServiceLinkedRole;
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
    // A native resource policy instead of the L2's custom resource: nothing to run at deploy. An
    // account holds at most 10 of these per Region (CloudWatch Logs API reference, PutResourcePolicy),
    // so it goes with the stack even where the domain is retained: it holds no data (the logs are
    // in the log groups, which follow the removal policy), a retained copy would keep one of the 10
    // taken, and a stack deployed again after `cdk destroy` creates it again under the same name.
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
    logsPolicy.applyRemovalPolicy(RemovalPolicy.DESTROY);

    if (props.createServiceLinkedRole === true) {
      // OpenSearch Service needs this role to reach a VPC (developer guide, "Using service-linked
      // roles to create VPC domains"). Kept with the stack's deletion: it is the account's, used
      // by every VPC domain in it, and IAM refuses to delete it while any domain uses it.
      this.serviceLinkedRole = new CfnServiceLinkedRole(this, 'ServiceLinkedRole', {
        awsServiceName: OPENSEARCH_SLR_SERVICE,
        description: 'OpenSearch Service access to the VPC of the search domain',
      });
      this.serviceLinkedRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    const setupRole = new Role(this, 'SetupRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Search setup: applies the index template and role mappings to the domain',
    });

    // The access policy goes on the domain resource itself (`AccessPolicies`), not through the L2's
    // AwsCustomResource, which calls UpdateDomainConfig after the domain is created and has been
    // seen to fail while its own IAM grant propagates (aws/aws-cdk#37939), rolling back a domain
    // creation of many minutes. AWS's OpenSearch CDK sample made the same change
    // (aws-samples/amazon-opensearch-service-sample-cdk#146). A name known before the domain exists
    // makes its ARN writable here without a reference cycle. The price: CloudFormation cannot
    // replace a resource with a fixed name, so a change that needs the domain replaced fails
    // instead (docs/deploy.md, "The search domain's name").
    this.domainName = searchDomainName(stack);
    this.domainArnFromName = stack.formatArn({ service: 'es', resource: 'domain', resourceName: this.domainName });
    this.accessPolicy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          principals: [new ArnPrincipal(setupRole.roleArn)],
          actions: ['es:ESHttpPut'],
          resources: [`${this.domainArnFromName}/*`],
        }),
      ],
    });
    if (props.readerRoleArn !== undefined && props.readerRoleArn !== '') {
      this.accessPolicy.addStatements(
        new PolicyStatement({
          principals: [new ArnPrincipal(props.readerRoleArn)],
          actions: ['es:ESHttpGet', 'es:ESHttpHead'],
          resources: [`${this.domainArnFromName}/*`],
        }),
        new PolicyStatement({
          principals: [new ArnPrincipal(props.readerRoleArn)],
          actions: ['es:ESHttpPost'],
          resources: [
            `${this.domainArnFromName}/${SEARCH_INDEX}-*/_search`,
            `${this.domainArnFromName}/${SEARCH_INDEX}-*/_count`,
          ],
        }),
      );
    }

    this.domain = new Domain(this, 'Domain', {
      version: SEARCH_ENGINE_VERSION,
      domainName: this.domainName,
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
    // Resolved at synth, so the writer added by allowWriter() is in it.
    (this.domain.node.defaultChild as CfnDomain).accessPolicies = this.accessPolicy;
    this.domain.node.addDependency(logsPolicy);
    if (this.serviceLinkedRole !== undefined) this.domain.node.addDependency(this.serviceLinkedRole);

    setupRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['es:ESHttpPut'],
        resources: [`${this.domain.domainArn}/_index_template/*`, `${this.domain.domainArn}/_plugins/_security/*`],
      }),
    );
    if (this.vpc !== undefined) {
      // What Lambda does with the function's role to connect it to the VPC (Lambda developer guide,
      // "Giving Lambda functions access to resources in an Amazon VPC"), each action on the resource
      // types the Service Authorization Reference lists for it: CreateNetworkInterface on the
      // network interface it creates, the subnet and the security group; the other three on the
      // network interface alone. Network interface ids exist only once Lambda has made them.
      const networkInterfaces = ec2Arn(stack, 'network-interface', '*');
      setupRole.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['ec2:CreateNetworkInterface'],
          resources: [
            ...this.subnets!.map((s) => ec2Arn(stack, 'subnet', s.subnetId)),
            ec2Arn(stack, 'security-group', this.clientSecurityGroup!.securityGroupId),
            networkInterfaces,
          ],
        }),
      );
      setupRole.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: [networkInterfaces],
        }),
      );
      // No resource type in the Service Authorization Reference: IAM takes only "*" for them.
      setupRole.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
          resources: ['*'],
        }),
      );
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
      // Lambda's longest: the function retries while a new domain settles and its access policy
      // takes effect, and answers CloudFormation before this and the custom resource timeout below.
      timeout: Duration.minutes(15),
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
      // Above the function's timeout: the function, not CloudFormation, decides when to give up.
      serviceTimeout: Duration.minutes(16),
      properties: {
        Endpoint: this.domain.domainEndpoint,
        FineGrainedAccessControl: String(fineGrained),
        WriterRoleArn: Lazy.string({ produce: () => this.writerRoleArn ?? '' }),
        ReaderRoleArn: props.readerRoleArn ?? '',
        Shards: String(this.shards),
        Replicas: String(this.replicas),
      },
    });
    // The setup role is in the access policy set with the domain (the function retries until it
    // takes effect); the template must exist before the first document creates the day's index.
    this.setup.node.addDependency(this.domain, setupRole);
    // The function answers CloudFormation through S3; on delete the route must outlive the answer.
    if (s3Endpoint !== undefined) this.setup.node.addDependency(s3Endpoint);

    // A retained domain keeps its network interfaces in these subnets and security groups, and its
    // master user role: they stay with it, or deleting the stack would fail.
    for (const kept of [this.vpc, this.clientSecurityGroup, domainSecurityGroup, setupRole]) {
      if (kept !== undefined) RemovalPolicies.of(kept).apply(removalPolicy);
    }

    this.acknowledge(setupRole, azs, masterNodes);
    this.node.addValidation({
      validate: () => (this.writerRoleArn === undefined ? ['SearchDomain: no writer role; call allowWriter()'] : []),
    });
  }

  /** Lets the delivery role write documents: in the access policy and, with FGAC, in the role mapping. */
  allowWriter(role: IRole): void {
    this.accessPolicy.addStatements(
      new PolicyStatement({
        principals: [new ArnPrincipal(role.roleArn)],
        actions: ['es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpGet'],
        resources: [this.domainArnFromName, `${this.domainArnFromName}/*`],
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

  private acknowledge(setupRole: Role, azs: number, masterNodes: number): void {
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
        ? 'Only actions the Service Authorization Reference lists no resource type for, which IAM grants on "*" alone: xray:PutTraceSegments, xray:PutTelemetryRecords, ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets. The network interface actions that take resources are scoped to the stack\'s subnets, security group and network interfaces.'
        : 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    if (inVpc) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResource(Stack.of(this), ec2Arn(Stack.of(this), 'network-interface', '*'))}]`,
        reason:
          "Network interfaces Lambda creates for the function in the stack's subnets at run time, so their ids are not known in advance: create, delete and assign or unassign private IPs, in this account and Region only.",
      });
    }
    const domainId = Stack.of(this).getLogicalId(this.domain.node.defaultChild as CfnElement);
    for (const path of ['_index_template/*', '_plugins/_security/*']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${domainId}.Arn>/${path}]`,
        reason:
          'PUT only, on the two API paths the setup function writes: the index template and the security plugin roles and role mappings.',
      });
    }
    Validations.of(this.setupFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      // CloudFormation invokes a custom resource's function asynchronously and waits for the answer
      // at the response URL (Lambda developer guide, "Using AWS Lambda with CloudFormation").
      reason:
        'A custom resource: CloudFormation invokes it asynchronously and waits for its answer at the response URL. The function answers FAILED itself on any error, and a request left unanswered fails the stack at the custom resource timeout; a queued copy of the request would reach no one.',
    });
  }
}

/**
 * A policy resource as cdk-nag writes it in a finding id: resolved, `Fn::Join` flattened, `Ref` and
 * `Fn::GetAtt` as `<Name>` and `<Name.Attribute>` (a concrete Region or partition stays as it is).
 */
export function nagResource(stack: Stack, value: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return JSON.stringify(node);
  };
  return flatten(stack.resolve(value));
}
