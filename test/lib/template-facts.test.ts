/**
 * Checks both synthesized profiles against facts about AWS rather than rules: cdk-nag knows that a
 * wildcard is suspicious, not whether `ec2:DescribeVpcAttribute` can be scoped or whether a property
 * exists. The facts come from the CloudFormation resource specification and the Service Authorization
 * Reference (see test/support/aws-facts.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type PropertyBag,
  type SpecType,
  actionExists,
  actionResourceTypes,
  expandWildcard,
  resourceSpec,
  typeDefinition,
} from '../support/aws-facts';
import { synthPipeline } from '../support/synth';

/**
 * Grants on `Resource: "*"` of actions that could be scoped, kept because AWS documentation requires
 * them on `*`. An entry names the logical-id prefix of the role that holds the grant (for a managed
 * policy the stack attaches to no role, of the policy) and the action as the policy writes it, and
 * quotes the documentation, with its URL, in one line.
 */
interface StarGrantAllowance {
  readonly rolePrefix: string;
  readonly action: string;
  readonly reason: string;
}
const STAR_GRANT_ALLOWLIST: readonly StarGrantAllowance[] = [
  {
    // The reference lists an optional `dataset` resource type; the metrics the dashboard reads are not datasets.
    rolePrefix: 'AccessReaderPolicy',
    action: 'cloudwatch:GetMetricData',
    reason:
      '"You use an * (asterisk) as the resource when writing a policy to control access to CloudWatch actions", with cloudwatch:GetMetricData on "*" as the example: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-access-control-overview-cw.html',
  },
];

const PROFILES = [
  ['dev', {}],
  ['prod', { stage: 'prod' }],
] as const;
type Profile = (typeof PROFILES)[number][0];

/** Two syntheses on a busy machine; each has taken over 60 s. */
const SYNTH_TIMEOUT_MS = 480_000;

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const asArray = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** `Custom::*` and `AWS::CloudFormation::CustomResource`: their properties are whatever their provider reads. */
const isCustomResource = (type: string): boolean =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
const isExempt = (type: string): boolean => isCustomResource(type) || type === 'AWS::CDK::Metadata';

/** `{ Ref }` or `{ Fn::* }`: a value CloudFormation computes, so its shape is not the template's. */
function isIntrinsic(x: unknown): x is Record<string, unknown> {
  if (!isObject(x)) return false;
  const keys = Object.keys(x);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** Every node of a value, with its path (`ClusterConfig.ZoneAwarenessConfig`, `Policies[0]`). */
function* nodes(value: unknown, path: string): Generator<[unknown, string]> {
  yield [value, path];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* nodes(v, `${path}[${i}]`);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) yield* nodes(v, path === '' ? k : `${path}.${k}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Resource types and properties
// ---------------------------------------------------------------------------------------------

function checkValue(value: unknown, type: SpecType, where: string, problems: string[]): void {
  if (isIntrinsic(value)) return;
  if (type.type === 'ref' && isObject(value)) {
    checkProperties(value, typeDefinition(type), where, problems);
  } else if (type.type === 'array' && Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkValue(v, type.element!, `${where}[${i}]`, problems);
  } else if (type.type === 'map' && isObject(value)) {
    for (const [k, v] of Object.entries(value)) checkValue(v, type.element!, `${where}.${k}`, problems);
  } else if (type.type === 'union') {
    // Fine if the value fits one alternative; otherwise report the alternative it came closest to.
    const attempts = type.types!.map((t) => {
      const found: string[] = [];
      checkValue(value, t, where, found);
      return found;
    });
    if (attempts.every((a) => a.length > 0)) {
      problems.push(...attempts.reduce((best, a) => (a.length < best.length ? a : best)));
    }
  }
}

function checkProperties(value: Record<string, unknown>, bag: PropertyBag, where: string, problems: string[]): void {
  const prefix = where === '' ? '' : `${where}.`;
  for (const [name, v] of Object.entries(value)) {
    const property = Object.hasOwn(bag.properties, name) ? bag.properties[name] : undefined;
    if (property === undefined) problems.push(`property ${prefix}${name} does not exist on ${bag.name}`);
    else checkValue(v, property.type, `${prefix}${name}`, problems);
  }
  for (const [name, property] of Object.entries(bag.properties)) {
    if (property.required === true && !Object.hasOwn(value, name)) {
      problems.push(`required property ${prefix}${name} (of ${bag.name}) is missing`);
    }
  }
}

function specProblems(profile: Profile, template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (isExempt(resource.Type)) continue;
    const spec = resourceSpec(resource.Type);
    const found: string[] = [];
    if (spec === undefined) found.push('the resource type is not in the CloudFormation spec');
    else checkProperties(resource.Properties ?? {}, spec, '', found);
    problems.push(...found.map((p) => `${profile}: ${id} (${resource.Type}): ${p}`));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// 2. Fn::GetAtt
// ---------------------------------------------------------------------------------------------

function getAttProblems(profile: Profile, template: CfnTemplate): string[] {
  const problems: string[] = [];
  const check = (where: string, target: string, attribute: string, spelled: string): void => {
    const resource = Object.hasOwn(template.Resources, target) ? template.Resources[target] : undefined;
    if (resource === undefined) {
      problems.push(`${profile}: ${where}: ${spelled} names ${target}, which is not a resource of the template`);
      return;
    }
    if (isCustomResource(resource.Type)) return;
    if (resource.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
    const spec = resourceSpec(resource.Type);
    if (spec === undefined) return; // reported by the resource-type check
    if (!spec.attributes.has(attribute)) {
      problems.push(
        `${profile}: ${where}: ${spelled}: ${resource.Type} has no attribute ${attribute} ` +
          `(it has ${[...spec.attributes].sort().join(', ') || 'none'})`,
      );
    }
  };
  const roots: [string, unknown][] = [
    ...Object.entries(template.Resources).map(([id, r]): [string, unknown] => [id, r.Properties ?? {}]),
    ...Object.entries(template.Outputs ?? {}).map(([id, o]): [string, unknown] => [`Outputs.${id}`, o]),
  ];
  for (const [owner, root] of roots) {
    for (const [node, path] of nodes(root, '')) {
      if (!isObject(node)) continue;
      const where = path === '' ? owner : `${owner} ${path}`;
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
        check(where, getAtt[0], getAtt[1], `Fn::GetAtt ${getAtt[0]}.${getAtt[1]}`);
      } else if (typeof getAtt === 'string') {
        const dot = getAtt.indexOf('.');
        check(where, getAtt.slice(0, dot), getAtt.slice(dot + 1), `Fn::GetAtt ${getAtt}`);
      }
      // `${Resource.Attribute}` in Fn::Sub is a GetAtt too (pseudo parameters have no dot).
      const sub = node['Fn::Sub'];
      const [text, variables] = typeof sub === 'string' ? [sub, {}] : Array.isArray(sub) ? sub : [undefined, {}];
      if (typeof text !== 'string') continue;
      for (const [, reference] of text.matchAll(/\$\{([^!][^}]*)\}/g)) {
        const dot = reference.indexOf('.');
        if (dot < 0 || (isObject(variables) && Object.hasOwn(variables, reference))) continue;
        check(where, reference.slice(0, dot), reference.slice(dot + 1), `Fn::Sub \${${reference}}`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// 3 and 4. IAM policy documents
// ---------------------------------------------------------------------------------------------

interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
}

interface PolicyDocument {
  /** The logical id of the resource that holds the document. */
  readonly holder: string;
  readonly holderType: string;
  /** Where in the holder's properties, for the messages. */
  readonly path: string;
  /** `identity` grants to its roles; `trust` is a role's AssumeRolePolicyDocument; `resource` is anything else. */
  readonly kind: 'identity' | 'trust' | 'resource';
  /** For an identity policy: the logical ids of the roles (or users, groups) that hold its grants. */
  readonly grantees: readonly string[];
  readonly statements: readonly Statement[];
}

/**
 * A value as text, with every token CloudFormation resolves at deploy time replaced by a placeholder
 * that is safe inside a JSON string (`<<GetAtt:SearchDomain9F503D0E.Arn>>`). Policy documents held as
 * strings (a log resource policy, a custom resource's request) are `Fn::Join`s of such fragments.
 */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isObject(value) && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  if (isObject(value) && typeof value.Ref === 'string') return `<<Ref:${value.Ref}>>`;
  if (isObject(value) && Array.isArray(value['Fn::GetAtt'])) return `<<GetAtt:${value['Fn::GetAtt'].join('.')}>>`;
  return `<<${isObject(value) ? Object.keys(value).join() : typeof value}>>`;
}

/** The policy documents in a value, objects and JSON strings alike (a string may hold JSON that holds another). */
function* documentsIn(value: unknown, path: string): Generator<[Record<string, unknown>, string]> {
  if (isObject(value) && 'Statement' in value) {
    yield [value, path];
    return;
  }
  if (typeof value === 'string' || (isObject(value) && 'Fn::Join' in value)) {
    const text = render(value);
    if (!/^\s*[{[]/.test(text) || !text.includes('Statement')) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    yield* documentsIn(parsed, `${path} (JSON)`);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* documentsIn(v, `${path}[${i}]`);
  } else if (isObject(value) && !isIntrinsic(value)) {
    for (const [k, v] of Object.entries(value)) yield* documentsIn(v, path === '' ? k : `${path}.${k}`);
  }
}

function policyDocuments(template: CfnTemplate): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    for (const [document, path] of documentsIn(properties, '')) {
      let kind: PolicyDocument['kind'] = 'resource';
      let grantees: string[] = [];
      if (resource.Type === 'AWS::IAM::Role' && path.startsWith('AssumeRolePolicyDocument')) {
        kind = 'trust';
      } else if (resource.Type === 'AWS::IAM::Role' && path.startsWith('Policies')) {
        kind = 'identity';
        grantees = [id];
      } else if (
        (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
        path === 'PolicyDocument'
      ) {
        kind = 'identity';
        grantees = [properties.Roles, properties.Users, properties.Groups]
          .flatMap(asArray)
          .map((g) => (isObject(g) && typeof g.Ref === 'string' ? g.Ref : render(g)));
        if (grantees.length === 0) grantees = [id];
      }
      documents.push({
        holder: id,
        holderType: resource.Type,
        path,
        kind,
        grantees,
        statements: asArray(document.Statement).filter(isObject),
      });
    }
  }
  return documents;
}

const describeStatement = (profile: Profile, d: PolicyDocument, s: Statement, i: number): string =>
  `${profile}: ${d.holder} (${d.holderType}) ${d.path}.Statement[${i}]${s.Sid === undefined ? '' : ` (Sid ${s.Sid})`}`;

async function actionProblems(profile: Profile, template: CfnTemplate): Promise<string[]> {
  const problems: string[] = [];
  for (const document of policyDocuments(template)) {
    for (const [i, statement] of document.statements.entries()) {
      const where = describeStatement(profile, document, statement, i);
      for (const key of ['Action', 'NotAction'] as const) {
        for (const action of asArray(statement[key])) {
          if (typeof action !== 'string') {
            problems.push(`${where}: ${key} ${JSON.stringify(action)} is not a literal action`);
          } else if (!(await actionExists(action))) {
            problems.push(
              `${where}: ${key} ${action} ${/[*?]/.test(action) ? 'matches no real IAM action' : 'is not a real IAM action'}`,
            );
          } else if (document.kind === 'trust' && !action.toLowerCase().startsWith('sts:')) {
            problems.push(`${where}: ${key} ${action} in a trust policy is not an sts action`);
          }
        }
      }
    }
  }
  return problems;
}

interface StarGrant {
  readonly message: string;
  readonly grantees: readonly string[];
  /** The action as the policy writes it, and the real action it grants (the same unless a pattern). */
  readonly written: string;
  readonly action: string;
}

/** Allow statements of identity policies that grant, on `Resource: "*"`, an action that can be scoped. */
async function starGrants(profile: Profile, template: CfnTemplate): Promise<StarGrant[]> {
  const grants: StarGrant[] = [];
  for (const document of policyDocuments(template).filter((d) => d.kind === 'identity')) {
    for (const [i, statement] of document.statements.entries()) {
      if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) continue;
      const where = `${describeStatement(profile, document, statement, i)} (grants to ${document.grantees.join(', ')})`;
      const grant = (written: string, action: string, why: string): void => {
        grants.push({
          message: `${where}: ${written === action ? action : `${written} (${action})`} on Resource "*": ${why}`,
          grantees: document.grantees,
          written,
          action,
        });
      };
      if (statement.NotAction !== undefined) grant('NotAction', 'NotAction', 'grants every action but those listed');
      for (const written of asArray(statement.Action).filter((a): a is string => typeof a === 'string')) {
        if (written === '*') {
          grant(written, written, 'grants every action of every service');
          continue;
        }
        for (const action of await expandWildcard(written)) {
          const types = await actionResourceTypes(action);
          if (types.length > 0) {
            grant(
              written,
              action,
              `it can be scoped to ${types.map((t) => t.name + (t.required ? '*' : '')).join(', ')}`,
            );
          }
        }
      }
    }
  }
  return grants;
}

const allowanceFor = (grant: StarGrant): StarGrantAllowance | undefined =>
  STAR_GRANT_ALLOWLIST.find(
    (a) =>
      grant.grantees.some((g) => g.startsWith(a.rolePrefix)) &&
      [grant.written, grant.action].some((x) => x.toLowerCase() === a.action.toLowerCase()),
  );

// ---------------------------------------------------------------------------------------------

describe('template facts', { timeout: SYNTH_TIMEOUT_MS }, () => {
  const templates = new Map<Profile, CfnTemplate>();

  beforeAll(() => {
    for (const [profile, context] of PROFILES) {
      templates.set(profile, synthPipeline(context).template.toJSON() as CfnTemplate);
    }
  }, SYNTH_TIMEOUT_MS);

  describe.each(PROFILES)('%s', (profile) => {
    const template = (): CfnTemplate => templates.get(profile)!;

    it('uses only resource types and properties the CloudFormation spec has, with every required one set', () => {
      expect(specProblems(profile, template())).toEqual([]);
    });

    it('reads only attributes the referenced resource type has (Fn::GetAtt)', () => {
      expect(getAttProblems(profile, template())).toEqual([]);
    });

    it('finds a policy document in every resource that holds one', () => {
      const holders = new Set(policyDocuments(template()).map((d) => d.holder));
      const expected = Object.entries(template().Resources)
        .filter(
          ([, r]) =>
            [
              'AWS::IAM::Policy',
              'AWS::IAM::ManagedPolicy',
              'AWS::IAM::Role',
              'AWS::S3::BucketPolicy',
              'AWS::SQS::QueuePolicy',
              'AWS::SNS::TopicPolicy',
              'AWS::KMS::Key',
              'AWS::Logs::ResourcePolicy',
              'Custom::OpenSearchAccessPolicy',
            ].includes(r.Type) ||
            (r.Type === 'AWS::OpenSearchService::Domain' && r.Properties?.AccessPolicies !== undefined),
        )
        .map(([id]) => id);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.filter((id) => !holders.has(id))).toEqual([]);
    });

    it('names only real IAM actions in every policy document', async () => {
      expect(await actionProblems(profile, template())).toEqual([]);
    });

    it('grants on Resource "*" only actions that cannot be scoped, or that AWS documentation requires there', async () => {
      const open = (await starGrants(profile, template())).filter((g) => allowanceFor(g) === undefined);
      expect(open.map((g) => g.message)).toEqual([]);
    });
  });

  it('allowlists only grants that exist, each with a reason that quotes AWS documentation', async () => {
    const grants = (
      await Promise.all(PROFILES.map(([profile]) => starGrants(profile, templates.get(profile)!)))
    ).flat();
    for (const allowance of STAR_GRANT_ALLOWLIST) {
      expect(allowance.reason, allowance.action).toMatch(/https:\/\/docs\.aws\.amazon\.com\/\S+/);
      expect(
        grants.some((g) => allowanceFor(g) === allowance),
        `${allowance.rolePrefix} ${allowance.action} is allowlisted but no role is granted it on "*"`,
      ).toBe(true);
    }
  });
});
