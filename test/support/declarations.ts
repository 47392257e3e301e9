/** The v1 aggregate as a declaration, exactly as the shipped aggregates.json has it. */
export const BY_KEY_DECLARATION = {
  name: 'by_key',
  types: ['*'],
  groupBy: ['type', 'key'],
  windows: ['1m'],
  measures: {
    count: { op: 'count' },
    sum: { op: 'sum', of: 'value' },
    min: { op: 'min', of: 'value' },
    max: { op: 'max', of: 'value' },
  },
};
