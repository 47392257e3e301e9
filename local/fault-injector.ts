import { DynamoDbError, type DynamoDbItemClient, type ItemOperation } from '../lambda/shared/dynamodb-item-client';

/** The aggregator's DynamoDB operations that change the table: the ones local mode's faults break. */
const WRITE_OPERATIONS = new Set<ItemOperation>(['UpdateItem', 'PutItem']);

export interface FaultInjector {
  /** Share of write requests refused, 0..1; changed at any time. */
  rate: number;
  /** Write requests refused so far. */
  readonly refused: number;
  /** Makes the client's write requests fail at the current rate. */
  apply(client: DynamoDbItemClient): void;
}

/**
 * Refuses the share `rate` of a client's write requests with a 500 InternalServerError before they
 * are sent, so nothing of a refused request is applied. Each attempt is drawn on its own and the
 * client retries it as it would a real server error: a write fails only when all its attempts do
 * (the operations contract's "the share R of the aggregator's DynamoDB write requests fail before
 * they are applied").
 */
export function faultInjector(initialRate = 0, random: () => number = Math.random): FaultInjector {
  const state = { rate: initialRate, refused: 0 };
  return {
    get rate() {
      return state.rate;
    },
    set rate(value: number) {
      state.rate = value;
    },
    get refused() {
      return state.refused;
    },
    apply(client) {
      client.intercept({
        beforeAttempt: (operation) => {
          if (state.rate > 0 && WRITE_OPERATIONS.has(operation) && random() < state.rate) {
            state.refused++;
            throw new DynamoDbError('injected fault (local mode --fault-rate)', 'InternalServerError', 500, 1);
          }
        },
      });
    },
  };
}
