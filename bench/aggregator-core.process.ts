import { benchAggregatorCore } from './aggregator-core.bench';

// The core benchmark's results as JSON on stdout, measured in a process of its own: see coreInOwnProcess.
process.stdout.write(JSON.stringify(benchAggregatorCore()));
