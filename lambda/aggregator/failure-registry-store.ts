import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ItemClient } from '../shared/dynamodb-item-client';
import {
  type RegistryEntry,
  type SequenceRange,
  cutOut,
  entryAttribute,
  openGapEnd,
  parseRedriven,
  parseRegistry,
  redrivenAttribute,
  registryKey,
} from '../shared/failure-registry';

export interface AttemptRegistration {
  /** The registry as the registering request returned it, this attempt's range included. */
  readonly entries: readonly RegistryEntry[];
  /** The last record of the ranges Lambda finished with below this attempt and nobody redrove. */
  readonly gapEnd?: bigint;
}

export interface FailureRegistryOptions {
  /**
   * Lambda runs one batch per shard at a time (parallelization factor 1), so a range that starts below
   * an attempt is finished up to it.
   * @default true
   */
  readonly oneBatchPerShard?: boolean;
}

/**
 * The per-shard failure registry in the aggregates table: one UpdateItem when an attempt starts,
 * which also returns the registry, and one when it ends with records applied.
 */
export class FailureRegistryStore {
  private readonly oneBatchPerShard: boolean;

  constructor(
    private readonly dynamodb: ItemClient,
    private readonly tableName: string,
    options: FailureRegistryOptions = {},
  ) {
    this.oneBatchPerShard = options.oneBatchPerShard ?? true;
  }

  /** Records the attempt's range as in flight; it must succeed before the attempt writes anything. */
  async begin(shardId: string, range: SequenceRange, now = Date.now()): Promise<AttemptRegistration> {
    const result = await this.dynamodb.updateItem({
      TableName: this.tableName,
      Key: registryKey(shardId),
      UpdateExpression: 'SET #g = :now',
      ExpressionAttributeNames: { '#g': entryAttribute(range) },
      ExpressionAttributeValues: { ':now': { N: String(now) } },
      ReturnValues: 'ALL_NEW',
    });
    const entries = parseRegistry(result.Attributes);
    const gapEnd = openGapEnd(entries, range.first, this.oneBatchPerShard);
    return gapEnd === undefined ? { entries } : { entries, gapEnd };
  }

  /**
   * Says the records of `done` are applied to every item they touch. With one batch per shard, every
   * entry overlapping them shrinks (a retried or bisected part of an earlier attempt); with concurrent
   * batches, only this attempt's own entry, since the others' ranges interleave with it.
   */
  async settle(
    shardId: string,
    registration: AttemptRegistration,
    own: SequenceRange,
    done: SequenceRange,
  ): Promise<void> {
    const entries = this.oneBatchPerShard
      ? registration.entries
      : registration.entries.filter((e) => e.first === own.first && e.last === own.last);
    await this.change(shardId, cutOut(entries, done));
  }

  /**
   * Removes attributes and sets entries (and redriven ranges) in one request; nothing is sent when
   * there is nothing to change.
   */
  async change(
    shardId: string,
    cut: { remove: readonly string[]; set: readonly RegistryEntry[]; redriven?: readonly RegistryEntry[] },
  ): Promise<void> {
    const redriven = cut.redriven ?? [];
    if (cut.remove.length === 0 && cut.set.length === 0 && redriven.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const removes: string[] = [];
    const sets: string[] = [];
    cut.remove.forEach((name, i) => {
      names[`#r${i}`] = name;
      removes.push(`#r${i}`);
    });
    cut.set.forEach((e, i) => {
      names[`#s${i}`] = entryAttribute(e);
      values[`:s${i}`] = { N: String(e.since) };
      sets.push(`#s${i} = :s${i}`);
    });
    redriven.forEach((e, i) => {
      names[`#d${i}`] = redrivenAttribute(e);
      values[`:d${i}`] = { N: String(e.since) };
      sets.push(`#d${i} = :d${i}`);
    });
    await this.dynamodb.updateItem({
      TableName: this.tableName,
      Key: registryKey(shardId),
      UpdateExpression: [
        sets.length > 0 ? `SET ${sets.join(', ')}` : '',
        removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
      ]
        .filter((p) => p !== '')
        .join(' '),
      ExpressionAttributeNames: names,
      ...(sets.length > 0 ? { ExpressionAttributeValues: values } : {}),
    });
  }

  async read(shardId: string): Promise<RegistryEntry[]> {
    return (await this.readAll(shardId)).entries;
  }

  /** The entries, and the ranges redriven lately. */
  async readAll(shardId: string): Promise<{ entries: RegistryEntry[]; redriven: RegistryEntry[] }> {
    const result = await this.dynamodb.getItem({
      TableName: this.tableName,
      Key: registryKey(shardId),
      ConsistentRead: true,
    });
    return { entries: parseRegistry(result.Item), redriven: parseRedriven(result.Item) };
  }
}
