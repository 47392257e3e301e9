import { benchAggregatorCore } from './aggregator-core.bench';
for (const r of benchAggregatorCore()) console.log(r.ratio?.toFixed(3) ?? '', Math.round(r.value), r.name);
