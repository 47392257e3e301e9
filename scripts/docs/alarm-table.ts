import { renderValue, type TemplateJson } from './template';

/** One synthesized profile: its name and template. */
export interface ProfileTemplate {
  readonly profile: string;
  readonly template: TemplateJson;
}

interface AlarmFacts {
  readonly id: string;
  readonly metric: string;
  readonly statistic: string;
  readonly condition: string;
  readonly missing: string;
  readonly critical: boolean;
}

const COMPARISON: Readonly<Record<string, string>> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

const MISSING: Readonly<Record<string, string>> = {
  notBreaching: 'OK',
  breaching: 'ALARM',
  missing: 'grey (insufficient data)',
  ignore: 'keeps its state',
};

/** CloudWatch publishes these metrics in these units; the template holds bare numbers. */
function unit(metricName: string): string {
  if (/IteratorAge|Duration$/.test(metricName)) return ' ms';
  if (metricName.endsWith('DataFreshness')) return ' s';
  if (metricName === 'FreeStorageSpace') return ' MiB';
  if (/JVMMemoryPressure|CPUUtilization/.test(metricName)) return ' %';
  return '';
}

const period = (seconds: number): string => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);
const number = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 3 });

interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
  Period: number;
  Stat: string;
}

function describe(p: Record<string, unknown>): { metric: string; metricName: string; statistic: string } {
  if (typeof p.MetricName === 'string') {
    const dims = ((p.Dimensions as { Name: string }[] | undefined) ?? []).map((d) => d.Name).join(', ');
    return {
      metric: `${String(p.Namespace)} \`${p.MetricName}\`${dims === '' ? '' : ` by ${dims}`}`,
      metricName: p.MetricName,
      statistic: `${String(p.Statistic ?? p.ExtendedStatistic)}, ${period(p.Period as number)}`,
    };
  }
  // A math expression: its metrics differ in one dimension value, e.g. the DynamoDB operation.
  const metrics = p.Metrics as { Expression?: string; MetricStat?: MetricStat }[];
  const stats = metrics.flatMap((m) => (m.MetricStat === undefined ? [] : [m.MetricStat]));
  const first = stats[0];
  const varying = (first.Metric.Dimensions ?? []).filter((d) =>
    stats.some((s) => renderValue(s.Metric.Dimensions?.find((e) => e.Name === d.Name)?.Value) !== renderValue(d.Value)),
  );
  const parts = stats
    .map((s) => varying.map((d) => renderValue(s.Metric.Dimensions?.find((e) => e.Name === d.Name)?.Value)).join(' '))
    .join(' + ');
  return {
    metric: `${first.Metric.Namespace} \`${first.Metric.MetricName}\` of ${parts}`,
    metricName: first.Metric.MetricName,
    statistic: `${first.Stat}, ${period(first.Period)}`,
  };
}

function alarmsOf(template: TemplateJson): { facts: Map<string, AlarmFacts>; thresholds: Map<string, string> } {
  const resources = Object.entries(template.Resources);
  const composite = resources.find(([, r]) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
  const criticalIds = new Set(
    [...JSON.stringify(composite?.[1].Properties?.AlarmRule ?? '').matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map(
      (m) => m[1],
    ),
  );
  const facts = new Map<string, AlarmFacts>();
  const thresholds = new Map<string, string>();
  for (const [logicalId, r] of resources) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties ?? {};
    const name = String(p.AlarmName);
    const id = name.slice(name.lastIndexOf('-') + 1);
    const { metric, metricName, statistic } = describe(p);
    const evaluation = p.EvaluationPeriods as number;
    const datapoints = (p.DatapointsToAlarm as number | undefined) ?? evaluation;
    const threshold = `${COMPARISON[String(p.ComparisonOperator)]} ${number(p.Threshold as number)}${unit(metricName)}`;
    thresholds.set(id, threshold);
    facts.set(id, {
      id,
      metric,
      statistic,
      condition: evaluation === 1 ? 'in one period' : `in ${datapoints} of ${evaluation} periods`,
      missing: MISSING[(p.TreatMissingData as string | undefined) ?? 'missing'],
      critical: criticalIds.has(logicalId),
    });
  }
  return { facts, thresholds };
}

/**
 * The alarm reference: every alarm of every profile's template, its metric, statistic and period,
 * threshold per profile, what no data counts as, and whether it is part of `PipelineHealth` (★).
 * Each name links to its runbook entry (`#<name in lower case>`).
 */
export function alarmTable(profiles: readonly ProfileTemplate[]): string {
  const perProfile = profiles.map((p) => ({ profile: p.profile, ...alarmsOf(p.template) }));
  const ids = [...new Set(perProfile.flatMap((p) => [...p.facts.keys()]))];
  const rows = ids.map((id) => {
    const present = perProfile.filter((p) => p.facts.has(id));
    const facts = present[0].facts.get(id)!;
    const values = present.map((p) => p.thresholds.get(id)!);
    const threshold = values.every((v) => v === values[0])
      ? values[0]
      : present.map((p, i) => `${values[i]} (${p.profile})`).join(', ');
    const only = present.length < perProfile.length ? ` (${present.map((p) => p.profile).join(', ')} only)` : '';
    const name = `${facts.critical ? '★ ' : ''}[${id}](#${id.toLowerCase()})${only}`;
    return `| ${name} | ${facts.metric} | ${facts.statistic} | ${threshold} ${facts.condition} | ${facts.missing} |`;
  });
  return [
    '| alarm | metric | statistic, period | fires when | no data is |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The alarm names of a template, `PipelineHealth` included: the runbook must have an entry for each. */
export function alarmNames(template: TemplateJson): string[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .map((r) => {
      const name = String(r.Properties?.AlarmName);
      return name.slice(name.lastIndexOf('-') + 1);
    });
}
