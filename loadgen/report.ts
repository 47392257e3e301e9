import { SingleBar } from 'cli-progress';
import type { LoadgenOptions } from './options';
import type { Progress, Summary } from './run';

export function formatSummary(s: Summary): string {
  const lines = [
    `stream ${s.stream}: ${s.scenario}, seed ${s.seed}${s.kpl ? ', KPL-aggregated' : ''}${s.interrupted ? ' (stopped early)' : ''}`,
    `  sent       ${s.sent}${s.poison > 0 ? ` (${s.poison} poison on purpose)` : ''}`,
    `  accepted   ${s.accepted}${s.kpl ? ` in ${s.kinesisRecords} Kinesis records` : ''}`,
    `  retried    ${s.retried}`,
    `  throttled  ${s.throttled}`,
    `  failed     ${s.failed}`,
    `  rate       ${s.eventsPerSecond} events/s accepted (target ${s.targetRate}) over ${s.durationSeconds} s`,
    `  put latency p50 ${s.putLatencyMs.p50} ms, p99 ${s.putLatencyMs.p99} ms over ${s.requests} PutRecords calls`,
  ];
  if (s.error !== undefined) {
    lines.push(`STOPPED: ${s.error}`);
    if (s.failed > 0) lines.push(`LOST ${s.failed} events: the run stopped before the stream accepted them`);
  } else if (s.failed > 0) {
    lines.push(
      `LOST ${s.failed} events: the stream did not accept them within their retries` +
        (s.lastError === undefined ? '' : ` (last error: ${s.lastError})`),
    );
  }
  return lines.join('\n');
}

export interface ProgressReporter {
  update(p: Progress): void;
  stop(): void;
}

/** A progress bar on a terminal, a line every 5 s otherwise (CI logs, pipes). Both on stderr. */
export function progressReporter(
  options: LoadgenOptions,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const total = options.count ?? Math.round((options.durationMs ?? 0) / 1000);
  const byCount = options.count !== undefined;
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: `{bar} {percentage}% | ${byCount ? '{value}/{total} events' : '{value}/{total} s'} | accepted {accepted} | retried {retried} | throttled {throttled} | failed {failed} | {rate} ev/s`,
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(total, 0, { accepted: 0, retried: 0, throttled: 0, failed: 0, rate: options.rate });
    return {
      update: (p) =>
        bar.update(Math.min(total, byCount ? p.stats.sent : Math.floor(p.elapsedMs / 1000)), {
          accepted: p.stats.accepted,
          retried: p.stats.retried,
          throttled: p.stats.throttled,
          failed: p.stats.failed,
          rate: Math.round(p.rate),
        }),
      stop: () => bar.stop(),
    };
  }
  let lastLine = -Infinity;
  return {
    update: (p) => {
      if (p.elapsedMs - lastLine < 5_000) return;
      lastLine = p.elapsedMs;
      stream.write(
        `${(p.elapsedMs / 1000).toFixed(1)}s sent=${p.stats.sent} accepted=${p.stats.accepted} retried=${p.stats.retried} throttled=${p.stats.throttled} failed=${p.stats.failed} rate=${Math.round(p.rate)}/s\n`,
      );
    },
    stop: () => undefined,
  };
}
