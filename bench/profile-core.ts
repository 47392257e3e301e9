import { join } from 'node:path';
import { planAggregates } from '../lambda/shared/aggregate-plan';
import { loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { coreWork, SKETCH_DECLARATIONS } from './aggregator-core.bench';
import { clickstreamBatch, DEFAULT_LATENESS_SECONDS } from './events';

/**
 * The core benchmark's candidate in a loop, to profile:
 *   node --cpu-prof --import tsx bench/profile-core.ts [defaults|sketches] [seconds]
 * For line numbers of the TypeScript sources, bundle it first with a source map:
 *   npx esbuild bench/profile-core.ts --bundle --platform=node --sourcemap --outfile=/tmp/core.js
 *   node --cpu-prof /tmp/core.js defaults 20
 * (declarations are read from ./aggregates.json, so run it from the repository root).
 */
const which = process.argv[2] ?? 'defaults';
const seconds = Number(process.argv[3] ?? 20);
const declarations =
  which === 'sketches' ? SKETCH_DECLARATIONS : loadDeclarationsFile(join(process.cwd(), 'aggregates.json'));
const plan = planAggregates(declarations, DEFAULT_LATENESS_SECONDS);
const batch = clickstreamBatch(10_000);
let sink = 0;
let rounds = 0;
const until = Date.now() + seconds * 1000;
while (Date.now() < until) {
  sink += coreWork(batch, plan);
  rounds++;
}
console.log(
  `${which}: ${rounds} rounds of ${batch.length} records, ${Math.round((rounds * batch.length) / seconds)} records/s (${sink})`,
);
