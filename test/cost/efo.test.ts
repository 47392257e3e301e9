import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../lib/config';
import {
  type CostInput,
  GB,
  type LineItem,
  SECONDS_PER_MONTH,
  type StreamMode,
  compareConsumers,
  monthlyCost,
  pollingReaders,
  propagationDelayMs,
  withOverrides,
} from '../../cost/model';
import { PRICES } from '../../cost/prices';
import { DECLARATIONS, MEASURED } from './fixtures';

function input(mode: StreamMode, consumer: 'polling' | 'efo', rate = 100, search = true): CostInput {
  return {
    rate,
    sizeBytes: 1_024,
    config: withOverrides(PROFILES.dev, { mode, consumer, search }),
    declarations: DECLARATIONS,
    mode,
    keys: 1_000,
    peakFactor: 1,
    measured: MEASURED,
  };
}

const find = (items: LineItem[], text: string): LineItem | undefined => items.find((i) => i.item.includes(text));

describe('enhanced fan-out in the cost model (aggregator.consumer)', () => {
  it('takes the aggregator out of the readers that share GetRecords limits', () => {
    expect(pollingReaders(withOverrides(PROFILES.dev, { consumer: 'polling', search: true }))).toBe(3);
    expect(pollingReaders(withOverrides(PROFILES.dev, { consumer: 'efo', search: true }))).toBe(2);
    expect(pollingReaders(withOverrides(PROFILES.dev, { consumer: 'efo', search: false }))).toBe(1);
  });

  it('provisioned: a consumer-shard hour per shard and the data it reads, at the EFO prices', () => {
    const b = monthlyCost(input('provisioned', 'efo'));
    const hours = find(b.items, 'enhanced fan-out: the aggregator')!;
    expect(hours.quantity).toBe(b.derived.shards * 730);
    expect(hours.usd).toBeCloseTo(b.derived.shards * 730 * PRICES.kinesis.efoConsumerShardHour.usd, 9);
    const gb = (100 * SECONDS_PER_MONTH * 1_024) / GB;
    expect(find(b.items, 'enhanced fan-out data retrieved')!.usd).toBeCloseTo(
      gb * PRICES.kinesis.efoRetrievalGb.usd,
      9,
    );
    expect(find(monthlyCost(input('provisioned', 'polling')).items, 'enhanced fan-out')).toBeUndefined();
  });

  it('on-demand: no consumer-shard hours; the aggregator’s data at the EFO retrieval price, the others’ as before', () => {
    const efo = monthlyCost(input('on-demand', 'efo'));
    const polling = monthlyCost(input('on-demand', 'polling'));
    const gb = (100 * SECONDS_PER_MONTH * 1_024) / GB;
    expect(find(efo.items, 'consumer × ')).toBeUndefined();
    expect(find(efo.items, 'enhanced fan-out data retrieved')!.usd).toBeCloseTo(
      gb * PRICES.kinesis.onDemandEfoRetrievalGb.usd,
      9,
    );
    expect(find(efo.items, 'retrieved by 2 polling readers')!.usd).toBeCloseTo(gb * 2 * 0.04, 9);
    expect(find(polling.items, 'retrieved by 3 polling readers')!.usd).toBeCloseTo(gb * 3 * 0.04, 9);
    expect(efo.byService.Kinesis - polling.byService.Kinesis).toBeCloseTo(
      gb * (PRICES.kinesis.onDemandEfoRetrievalGb.usd - PRICES.kinesis.onDemandRetrievalGb.usd),
      9,
    );
  });

  it('frees a shard where three polling readers would outgrow its shared 2 MiB/s, which offsets part of its charges', () => {
    // 1,000 events/s of 1 KiB: three polling readers read 3 MiB/s, two read 2 MiB/s.
    const polling = monthlyCost(input('provisioned', 'polling', 1_000));
    const efo = monthlyCost(input('provisioned', 'efo', 1_000));
    expect(polling.derived.shards).toBe(2);
    expect(efo.derived.shards).toBe(1);
    const efoCharges = efo.items.filter((i) => i.item.includes('enhanced fan-out')).reduce((t, i) => t + i.usd, 0);
    const shardSaved = 730 * PRICES.kinesis.shardHour.usd;
    expect(efo.byService.Kinesis - polling.byService.Kinesis).toBeCloseTo(efoCharges - shardSaved, 9);
    const [low, high] = compareConsumers(
      {
        sizeBytes: 1_024,
        config: withOverrides(PROFILES.dev, { search: true }),
        declarations: DECLARATIONS,
        mode: 'provisioned',
        keys: 1_000,
        peakFactor: 1,
        measured: MEASURED,
      },
      [10, 1_000],
    );
    // At 10 events/s nothing is saved: the premium is the EFO charges alone.
    expect(low.premiumUsd).toBeCloseTo(
      730 * PRICES.kinesis.efoConsumerShardHour.usd +
        ((10 * SECONDS_PER_MONTH * 1_024) / GB) * PRICES.kinesis.efoRetrievalGb.usd,
      6,
    );
    expect(high.rate).toBe(1_000);
    expect(high.efoPropagationMs).toBeLessThan(high.pollingPropagationMs);
  });

  it('gives the propagation delay AWS documents: about 70 ms with EFO, 200 ms for one polling reader to 1,000 ms for five', () => {
    expect(propagationDelayMs('efo', 3)).toBe(70);
    expect(propagationDelayMs('polling', 1)).toBe(200);
    expect(propagationDelayMs('polling', 3)).toBe(600);
    expect(propagationDelayMs('polling', 5)).toBe(1_000);
    expect(propagationDelayMs('polling', 9)).toBe(1_000);
    expect(monthlyCost(input('on-demand', 'polling')).derived.aggregatorPropagationMs).toBe(600);
    expect(monthlyCost(input('on-demand', 'efo')).derived.aggregatorPropagationMs).toBe(70);
  });

  it('bills prod with its configured consumer, efo', () => {
    expect(PROFILES.prod.aggregator.consumer).toBe('efo');
    const b = monthlyCost({
      ...input('on-demand', 'efo'),
      config: withOverrides(PROFILES.prod, { mode: 'on-demand' }),
    });
    expect(b.input.consumer).toBe('efo');
    expect(find(b.items, 'enhanced fan-out data retrieved')).toBeDefined();
  });
});
