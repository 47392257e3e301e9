import { decodeBatch, deltaStates, preAggregate } from '../lambda/aggregator/core';
import { planAggregates } from '../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../lambda/shared/declarations';
import { clickstreamBatch, defaultPlan } from '../bench/events';
import { compare } from '../bench/harness';

const batch = clickstreamBatch(10_000);
const plan = defaultPlan();
const sk = planAggregates(parseDeclarations({ version: 2, aggregates: [
  { name: 'by_key', types: ['*'], groupBy: ['type', 'key'], windows: ['1m'], measures: { count: { op: 'count' }, sum: { op: 'sum', of: 'value' }, min: { op: 'min', of: 'value' }, max: { op: 'max', of: 'value' } } },
  { name: 'pages', types: ['*'], groupBy: ['attributes.page'], windows: ['1m'], measures: { users: { op: 'distinct', of: 'key' }, latency: { op: 'quantiles', of: 'attributes.latencyMs' }, referrers: { op: 'topK', of: 'attributes.referrer', k: 10 } } },
]}), 7 * 86400);
let sink = 0;
const base = () => { for (const r of batch) sink += (JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) as { value: number }).value; };
const decodeOnly = () => { sink += decodeBatch(batch).events.length; };
const pre = (p: typeof plan) => () => { const d = decodeBatch(batch); sink += preAggregate(d.events, p).deltas.length; };
const fold = (p: typeof plan, encode: boolean) => () => { const d = decodeBatch(batch); const { deltas } = preAggregate(d.events, p); for (const x of deltas) { const s = deltaStates(x, d.events); if (encode) for (const m of x.aggregate.measures) { if (m.kind.exact) m.kind.update!(m.name, s.get(m.name)); else sink += Object.keys(m.kind.store(m.name, s.get(m.name))).length; } sink += s.size; } };
for (const [name, fn] of [['decode', decodeOnly], ['pre default', pre(plan)], ['fold default', fold(plan, false)], ['fold+enc default', fold(plan, true)], ['pre sketch', pre(sk)], ['fold sketch', fold(sk, false)], ['fold+enc sketch', fold(sk, true)]] as const) {
  const r = compare(batch.length, base, fn, 11, 3);
  console.log(name, r.ratio.toFixed(3), Math.round(r.baseline), Math.round(r.candidate));
}
const d = decodeBatch(batch); const pa = preAggregate(d.events, plan);
const byAgg = new Map<string, number>(); for (const x of pa.deltas) byAgg.set(x.aggregate.name + ' ' + x.window, (byAgg.get(x.aggregate.name + ' ' + x.window) ?? 0) + 1);
console.log(byAgg, d.events.length, d.poison.length, sink > 0);
