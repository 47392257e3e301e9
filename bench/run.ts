import { cpus } from 'node:os';
import { benchAggregateWrites } from './aggregate-writes.bench';
import { benchAggregatorCore } from './aggregator-core.bench';
import { benchLoadgen } from './loadgen.bench';
import { benchLocalPipeline } from './local-pipeline.bench';
import type { BenchResult } from './harness';

function format(r: BenchResult): string {
  const value = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(3);
  const ratio = r.ratio === undefined ? '' : `ratio ${r.ratio.toFixed(2)}  `;
  const verdict = r.pass === undefined ? '' : `  target ${r.target}: ${r.pass ? 'met' : 'MISSED'}`;
  return `- ${r.name}: ${ratio}${value} ${r.unit}${verdict}`;
}

async function main(): Promise<void> {
  console.log(
    `Benchmarks on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}, ${new Date().toISOString()}`,
  );
  // The load generator first: it measures allocation-heavy work, best done before the emulators fill the heap.
  const results = [
    ...(await benchLoadgen()),
    ...benchAggregatorCore(),
    ...(await benchAggregateWrites()),
    ...(await benchLocalPipeline()),
  ];
  for (const r of results) console.log(format(r));
  const missed = results.filter((r) => r.pass === false);
  if (missed.length > 0) {
    console.error(`${missed.length} target(s) missed`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
