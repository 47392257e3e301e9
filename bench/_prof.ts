import { decodeBatch, deltaStates, preAggregate } from '../lambda/aggregator/core';
import { clickstreamBatch, defaultPlan } from './events';
const batch = clickstreamBatch(10_000);
const plan = defaultPlan();
let sink = 0;
const t = Date.now();
let n = 0;
while (Date.now() - t < 20_000) {
  const d = decodeBatch(batch);
  const { deltas } = preAggregate(d.events, plan);
  for (const x of deltas) sink += deltaStates(x, d.events).size;
  n++;
}
console.log(n, sink);
