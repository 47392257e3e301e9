import { generateBlocks, REFRESH_COMMAND, staleBlocks, writeBlocks } from './generate';

const USAGE = `Usage: ${REFRESH_COMMAND} [-- --check]

Rewrites the generated blocks of docs/ (<!-- gen:NAME:start --> ... <!-- gen:NAME:end -->): the alarms and
IAM grants from the synthesized templates, the config reference from lib/config.ts, the cost table from
the cost model and bench/results.json.

  --check   change nothing; exit 1 if a block is stale
  --help    this text`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`Unknown option '${unknown[0]}'\n\n${USAGE}`);
    return 2;
  }
  const blocks = generateBlocks();
  if (argv.includes('--check')) {
    const stale = await staleBlocks(blocks);
    if (stale.length === 0) return 0;
    console.error(`Stale generated blocks: ${stale.join(', ')}; run ${REFRESH_COMMAND}`);
    return 1;
  }
  const written = await writeBlocks(blocks);
  console.log(written.length === 0 ? 'Generated blocks are up to date' : `Rewrote ${written.join(', ')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
