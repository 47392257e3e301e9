import { benchAggregateWrites } from './aggregate-writes.bench';
const t = Date.now();
benchAggregateWrites().then((r) => {
  for (const x of r.results) console.log(x.value.toFixed(2), x.unit, '|', x.name, x.target ?? '', x.pass ?? '');
  console.log(JSON.stringify(r.costInputs, null, 1));
  console.log('seconds', (Date.now() - t) / 1000);
});
