/** The parts of a synthesized CloudFormation template the docs tables read. */
export interface TemplateJson {
  readonly Resources: Readonly<Record<string, { Type: string; Properties?: Record<string, unknown> }>>;
}

/** A logical id without the 8-hex-digit hash aws-cdk-lib appends: `IngestStream404D06C0` → `IngestStream`. */
export function shortId(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': '${Region}',
  'AWS::AccountId': '${Account}',
  'AWS::StackId': 'the stack',
  'AWS::StackName': '${StackName}',
};

/**
 * An intrinsic made readable: `{Fn::GetAtt: [IngestStream404D06C0, Arn]}` → `IngestStream`, a
 * `Fn::Join` of the parts, and an ARN of this account and Region shortened to `service:resource`.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(renderValue).join(', ');
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return PSEUDO[v.Ref] ?? shortId(v.Ref);
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    return attribute === 'Arn' || attribute === 'ConsumerARN' ? shortId(id) : `${shortId(id)}.${attribute}`;
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return shortenArn(parts.map(renderValue).join(separator));
  }
  if (typeof v['Fn::Sub'] === 'string') return shortenArn(v['Fn::Sub'].replace(/\$\{AWS::Partition\}/g, 'aws'));
  return JSON.stringify(value);
}

function shortenArn(arn: string): string {
  return arn.replace(/^arn:aws:([a-z0-9-]+):\$\{Region\}:\$\{Account\}:/, '$1:');
}

/**
 * Where a row holds, given the names of the templates it was found in and of all templates, the two
 * profiles first: `both`, `prod only`, or, when only an option's template has it, `with <option>`.
 */
export function whereLabel(present: readonly string[], all: readonly string[]): string {
  const profiles = all.slice(0, 2);
  const inProfiles = profiles.filter((p) => present.includes(p));
  if (inProfiles.length === profiles.length) return 'both';
  if (inProfiles.length > 0) return `${inProfiles.join(', ')} only`;
  return `with ${present.join(' or ')}`;
}
