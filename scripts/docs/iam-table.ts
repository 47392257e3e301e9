import type { ProfileTemplate } from './alarm-table';
import { renderValue, shortId, type TemplateJson, whereLabel } from './template';

interface Statement {
  Effect?: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: { AWS?: unknown };
}

interface Principal {
  readonly id: string;
  readonly kind: 'role' | 'managed policy';
  readonly trust: string;
  readonly description: string;
}

interface Grant {
  readonly principal: string;
  readonly actions: string;
  readonly resources: string;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const code = (text: string): string => `\`${text}\``;

function condition(c: Statement['Condition']): string {
  if (c === undefined) return '';
  const parts = Object.values(c).flatMap((test) =>
    Object.entries(test).map(([key, value]) => `${code(key)} = ${code(renderValue(value))}`),
  );
  return ` where ${parts.join(' and ')}`;
}

function grant(principal: string, s: Statement, via = ''): Grant {
  const resources = list(s.Resource).map((r) => code(renderValue(r)));
  return {
    principal,
    actions: list(s.Action).sort().map(code).join(', '),
    resources: `${resources.sort().join(', ')}${condition(s.Condition)}${via}`,
  };
}

function trustOf(document: unknown): string {
  const statements = (document as { Statement?: Statement[] } | undefined)?.Statement ?? [];
  return statements
    .map((s) => {
      const services = list((s.Principal as { Service?: string | string[] } | undefined)?.Service);
      return `${services.map(code).join(', ')}${condition(s.Condition)}`;
    })
    .join('; ');
}

function grantsOf(template: TemplateJson): { principals: Principal[]; grants: Grant[] } {
  const principals: Principal[] = [];
  const grants: Grant[] = [];
  const roleOfArn = (value: unknown): string | undefined => {
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    return getAtt !== undefined && template.Resources[getAtt[0]]?.Type === 'AWS::IAM::Role' ? getAtt[0] : undefined;
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    const document = p.PolicyDocument as { Statement: Statement[] } | undefined;
    if (r.Type === 'AWS::IAM::Role') {
      principals.push({
        id: shortId(id),
        kind: 'role',
        trust: trustOf(p.AssumeRolePolicyDocument),
        description: typeof p.Description === 'string' ? p.Description : '',
      });
      for (const arn of list(p.ManagedPolicyArns)) {
        grants.push({
          principal: shortId(id),
          actions: `AWS managed policy ${code(renderValue(arn).replace(/^.*policy\/(service-role\/)?/, ''))}`,
          resources: 'as the policy states',
        });
      }
      for (const inline of list(p.Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
        grants.push(...inline.PolicyDocument.Statement.map((s) => grant(shortId(id), s)));
      }
    } else if (r.Type === 'AWS::IAM::Policy' && document !== undefined) {
      for (const role of list(p.Roles as { Ref: string }[])) {
        grants.push(...document.Statement.map((s) => grant(shortId(role.Ref), s)));
      }
    } else if (r.Type === 'AWS::IAM::ManagedPolicy' && document !== undefined) {
      principals.push({
        id: shortId(id),
        kind: 'managed policy',
        trust: '',
        description: typeof p.Description === 'string' ? p.Description : '',
      });
      grants.push(...document.Statement.map((s) => grant(shortId(id), s)));
    } else if (document !== undefined) {
      // Resource policies (bucket policies) that grant one of the stack's roles.
      for (const s of list(document.Statement)) {
        const role = roleOfArn(s.Principal?.AWS);
        if (s.Effect === 'Allow' && role !== undefined) {
          grants.push(grant(shortId(role), s, ` (in the ${r.Type.split('::')[2]} ${code(shortId(id))})`));
        }
      }
    }
  }
  return { principals, grants };
}

/**
 * Every role and managed policy of the synthesized templates, with each statement's actions and
 * resources. The first two templates are the profiles; any others are options, and a grant found only
 * there is labelled with that option.
 */
export function iamTables(templates: readonly ProfileTemplate[]): string {
  const found = templates.map((t) => ({ profile: t.profile, ...grantsOf(t.template) }));
  const all = found.map((f) => f.profile);
  const principals = new Map<string, Principal>();
  for (const f of found) for (const p of f.principals) if (!principals.has(p.id)) principals.set(p.id, p);
  const sections = [...principals.values()].map((principal) => {
    const rows = new Map<string, { grant: Grant; where: string[] }>();
    for (const f of found) {
      for (const g of f.grants.filter((x) => x.principal === principal.id)) {
        const key = `${g.actions}|${g.resources}`;
        const row = rows.get(key) ?? { grant: g, where: [] };
        if (!row.where.includes(f.profile)) row.where.push(f.profile);
        rows.set(key, row);
      }
    }
    // The same actions granted on several resources in the same places make one row.
    const merged = new Map<string, { actions: string; resources: string[]; where: string }>();
    for (const r of rows.values()) {
      const where = whereLabel(r.where, all);
      const key = `${r.grant.actions}|${where}`;
      const row = merged.get(key) ?? { actions: r.grant.actions, resources: [], where };
      row.resources.push(r.grant.resources);
      merged.set(key, row);
    }
    const present = whereLabel(
      found.filter((f) => f.principals.some((p) => p.id === principal.id)).map((f) => f.profile),
      all,
    );
    const heading =
      `**${code(principal.id)}**` +
      (principal.kind === 'role'
        ? `, a role trusted by ${principal.trust}`
        : ', a managed policy attached to nothing') +
      (present === 'both' ? '' : ` (${present})`) +
      (principal.description === '' ? '' : `: ${principal.description}`);
    return [
      heading,
      '',
      '| actions | resources | where |',
      '| --- | --- | --- |',
      ...[...merged.values()].map((r) => `| ${r.actions} | ${r.resources.join('; ')} | ${r.where} |`),
    ].join('\n');
  });
  return sections.join('\n\n');
}
