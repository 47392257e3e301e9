import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_DELETE_TAG, AccessLogsBucket } from '../../../lib/constructs/access-logs-bucket';
import { PRIVATE_BUCKET } from '../../../lib/constructs/private-bucket';
import { synthPipeline } from '../../support/synth';

const FEATURE_FLAGS = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };
type Resources = Record<string, Resource>;

/** The logical ids a resource needs before it is created, and keeps until it is deleted: DependsOn, Ref, GetAtt. */
function directDependencies(resources: Resources, id: string): Set<string> {
  const out = new Set<string>(resources[id].DependsOn ?? []);
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value !== null && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if (typeof o.Ref === 'string' && o.Ref in resources) out.add(o.Ref);
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[0] in resources) out.add(getAtt[0]);
      Object.values(o).forEach(walk);
    }
  };
  walk(resources[id].Properties);
  return out;
}

/**
 * CloudFormation deletes a resource only after every resource that depends on it: `a` is deleted
 * before `b` exactly when `a` depends on `b`, directly or through others.
 */
function deletedBefore(resources: Resources, a: string, b: string): boolean {
  const seen = new Set<string>();
  const stack = [a];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const dep of directDependencies(resources, id)) {
      if (dep === b) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        stack.push(dep);
      }
    }
  }
  return false;
}

/** Fails on a dependency cycle, which CloudFormation refuses. */
function expectAcyclic(resources: Resources): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`dependency cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const dep of directDependencies(resources, id)) visit(dep, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of Object.keys(resources)) visit(id, []);
}

interface Ids {
  readonly logBucket: string;
  readonly logPolicy: string;
  readonly emptyOnDelete: string;
  readonly writers: string[];
}

/** The access-log bucket, its policy and custom resource, and the buckets whose logs go to it. */
function ids(resources: Resources): Ids {
  const of = (type: string, prefix: string): string[] =>
    Object.keys(resources).filter((id) => resources[id].Type === type && id.startsWith(prefix));
  const [logBucket] = of('AWS::S3::Bucket', 'AccessLogsBucket');
  const [logPolicy] = of('AWS::S3::BucketPolicy', 'AccessLogsBucketPolicy');
  const [emptyOnDelete] = of('Custom::S3AutoDeleteObjects', 'AccessLogs');
  const writers = Object.keys(resources).filter(
    (id) =>
      resources[id].Type === 'AWS::S3::Bucket' &&
      (resources[id].Properties?.LoggingConfiguration as { DestinationBucketName?: { Ref?: string } } | undefined)
        ?.DestinationBucketName?.Ref === logBucket,
  );
  return { logBucket, logPolicy, emptyOnDelete, writers };
}

/** The teardown order that keeps a late access log from failing the delete (aws/aws-cdk#21776). */
function expectWritersDeletedFirst(resources: Resources, i: Ids): void {
  expectAcyclic(resources);
  expect(i.emptyOnDelete).toBeDefined();
  for (const writer of i.writers) {
    // Each bucket that logs here waits for the custom resource on create, so on delete it is
    // emptied and gone before the custom resource empties the access-log bucket.
    expect(resources[writer].DependsOn, writer).toContain(i.emptyOnDelete);
    expect(deletedBefore(resources, writer, i.emptyOnDelete), writer).toBe(true);
  }
  // The bucket policy, which grants log delivery, is gone before the bucket is emptied...
  expect(resources[i.logPolicy].DependsOn).toContain(i.emptyOnDelete);
  expect(deletedBefore(resources, i.logPolicy, i.emptyOnDelete)).toBe(true);
  // ...and the custom resource does not need it: it is not granted through it.
  expect(deletedBefore(resources, i.emptyOnDelete, i.logPolicy)).toBe(false);
  expect(JSON.stringify(resources[i.logPolicy].Properties)).not.toContain('EmptyProvider');
  // The bucket itself goes last.
  expect(deletedBefore(resources, i.emptyOnDelete, i.logBucket)).toBe(true);
}

function build(removalPolicy: RemovalPolicy): { template: Template; resources: Resources } {
  const app = new App({ context: { ...FEATURE_FLAGS } });
  const stack = new Stack(app, 'Logs');
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs', { removalPolicy });
  const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
  for (const id of ['First', 'Second']) {
    new Bucket(stack, id, {
      ...PRIVATE_BUCKET,
      serverAccessLogsBucket: accessLogs.bucket,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      removalPolicy,
      autoDeleteObjects,
    });
  }
  // Logs elsewhere: not ordered against the access-log bucket.
  const other = new Bucket(stack, 'OtherLogs', { ...PRIVATE_BUCKET, removalPolicy, autoDeleteObjects });
  new Bucket(stack, 'Elsewhere', {
    ...PRIVATE_BUCKET,
    serverAccessLogsBucket: other,
    removalPolicy,
    autoDeleteObjects,
  });
  Validations.of(other).acknowledge({
    id: 'AwsSolutions::AwsSolutions-S1',
    reason: 'A test stand-in for a log bucket other than the access-log bucket under test.',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  const template = Template.fromStack(stack);
  return { template, resources: template.toJSON().Resources as Resources };
}

describe('AccessLogsBucket, destroyed (dev)', () => {
  let built: ReturnType<typeof build>;
  let i: Ids;
  beforeAll(() => {
    built = build(RemovalPolicy.DESTROY);
    i = ids(built.resources);
  });

  it('is emptied only after every bucket that logs to it is deleted, and after its policy', () => {
    expect(i.writers.sort()).toEqual(
      Object.keys(built.resources)
        .filter((id) => /^(First|Second)[0-9A-F]{8}$/.test(id))
        .sort(),
    );
    expectWritersDeletedFirst(built.resources, i);
    const elsewhere = Object.keys(built.resources).find((id) => /^Elsewhere[0-9A-F]{8}$/.test(id))!;
    expect(built.resources[elsewhere].DependsOn ?? []).not.toContain(i.emptyOnDelete);
  });

  it('empties it with aws-cdk-lib’s auto-delete handler, on a role of its own', () => {
    const cr = built.resources[i.emptyOnDelete];
    expect(cr.DeletionPolicy).toBe('Delete');
    const token = cr.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] };
    expect(cr.Properties?.BucketName).toEqual({ Ref: i.logBucket });
    const [handler] = token['Fn::GetAtt'];
    expect(handler).toMatch(/^AccessLogsEmptyProviderHandler/);
    // The same code as the provider behind `autoDeleteObjects` (same asset), not a copy of it.
    const shared = Object.keys(built.resources).find((id) =>
      id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProviderHandler'),
    )!;
    const code = (id: string): unknown => built.resources[id].Properties?.Code;
    expect(code(handler)).toEqual(code(shared));
    expect(built.resources[handler].Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: built.resources[shared].Properties?.Runtime,
    });
    // The handler empties only a bucket carrying this tag.
    built.template.hasResource('AWS::S3::Bucket', {
      Properties: { Tags: [{ Key: AUTO_DELETE_TAG, Value: 'true' }] },
      DeletionPolicy: 'Delete',
    });
    expect(built.resources[i.logBucket].Properties?.Tags).toEqual([{ Key: AUTO_DELETE_TAG, Value: 'true' }]);
  });

  it('grants the handler what it calls on the access-log bucket, by identity policy', () => {
    const roleId = (
      built.resources[Object.keys(built.resources).find((id) => id.startsWith('AccessLogsEmptyProviderHandler'))!]
        .Properties?.Role as { 'Fn::GetAtt': [string, string] }
    )['Fn::GetAtt'][0];
    const policies = built.resources[roleId].Properties?.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    expect(policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketTagging', 's3:ListBucketVersions'],
        Resource: { 'Fn::GetAtt': [i.logBucket, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.logBucket, 'Arn'] }, '/*']] },
      },
    ]);
  });
});

describe('AccessLogsBucket, retained (prod)', () => {
  it('keeps the bucket and its logs: no custom resource, no tag, no added ordering', () => {
    const { resources } = build(RemovalPolicy.RETAIN);
    const i = ids(resources);
    expect(resources[i.logBucket].DeletionPolicy).toBe('Retain');
    expect(resources[i.logBucket].Properties?.Tags).toBeUndefined();
    expect(Object.values(resources).filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')).toEqual([]);
    expect(Object.keys(resources).filter((id) => id.startsWith('AccessLogsEmptyProvider'))).toEqual([]);
    expect(i.writers).toHaveLength(2);
    for (const writer of i.writers) expect(resources[writer].DependsOn).toBeUndefined();
  });
});

describe('AccessLogsBucket in the pipeline stack', () => {
  it('dev: the dead-letter, archive and Athena results buckets are deleted before it is emptied', () => {
    const resources = synthPipeline().template.toJSON().Resources as Resources;
    const i = ids(resources);
    expect(i.writers.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'AggregatorDeadLetterBucket',
      'ArchiveBucket',
      'ArchiveQueryResultsBucket',
    ]);
    expectWritersDeletedFirst(resources, i);
    expect(resources[i.logBucket].DeletionPolicy).toBe('Delete');
  });

  it('prod: retained as before, with nothing that empties it', () => {
    const resources = synthPipeline({ stage: 'prod' }).template.toJSON().Resources as Resources;
    const i = ids(resources);
    expect(i.writers).toHaveLength(3);
    expect(resources[i.logBucket].DeletionPolicy).toBe('Retain');
    expect(i.emptyOnDelete).toBeUndefined();
    for (const writer of i.writers) expect(resources[writer].DependsOn ?? []).toEqual([]);
  });
});
