import type { ValidationReport } from '../../test/support/synth';
import { whereLabel } from './template';

/** One synthesized profile's cdk-nag validation report. */
export interface ProfileReport {
  readonly profile: string;
  readonly report: ValidationReport;
}

/** `AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/events/*]` → `AwsSolutions-IAM5 <ArchiveBucket>/events/*`. */
function finding(ruleName: string): string {
  return ruleName
    .replace(/\[Resource::(.*)\]$/, ' `$1`')
    .replace(/([A-Za-z]+)[0-9A-F]{8}\.Arn/g, '$1')
    .replace(/<AWS::(Partition|Region|AccountId)>/g, (_, p: string) => `<${p}>`);
}

/**
 * Every cdk-nag acknowledgement in the profiles' validation reports, one row per resource and
 * reason with the findings it covers; the reasons are the ones in the code, word for word.
 */
export function nagTable(reports: readonly ProfileReport[]): string {
  const rows = new Map<string, { findings: string[]; resource: string; reason: string; profiles: string[] }>();
  for (const { profile, report } of reports) {
    for (const plugin of report.pluginReports) {
      for (const s of plugin.suppressedViolations) {
        for (const c of s.violatingConstructs) {
          const resource = c.constructPath.replace(/^[^/]+\//, '').replace(/\/Resource$/, '');
          const key = `${resource}|${s.reason}`;
          const row = rows.get(key) ?? { findings: [], resource, reason: s.reason, profiles: [] };
          if (!row.findings.includes(finding(s.ruleName))) row.findings.push(finding(s.ruleName));
          if (!row.profiles.includes(profile)) row.profiles.push(profile);
          rows.set(key, row);
        }
      }
    }
  }
  const all = reports.map((r) => r.profile);
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '| resource | findings | reason | where |',
    '| --- | --- | --- | --- |',
    ...[...rows.values()]
      .sort((a, b) => a.resource.localeCompare(b.resource))
      .map(
        (r) =>
          `| \`${r.resource}\` | ${cell(r.findings.join(', '))} | ${cell(r.reason)} | ${whereLabel(r.profiles, all)} |`,
      ),
  ].join('\n');
}
