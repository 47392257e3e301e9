import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_QUERIES } from '../../../lib/constructs/archive-query';
import { type Synthesized, onlyResource, synthPipeline } from '../../support/synth';

let dev: Synthesized;

beforeAll(() => {
  dev = synthPipeline();
});

interface GlueTable {
  DatabaseName: string;
  TableInput: {
    Name: string;
    Parameters: Record<string, unknown>;
    PartitionKeys: { Name: string; Type: string }[];
    StorageDescriptor: {
      Columns: { Name: string; Type: string }[];
      SerdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
    };
  };
}

describe('ArchiveQuery', () => {
  it('describes the archive to Glue with the event contract columns and projected hourly partitions', () => {
    const table = onlyResource(dev.template, 'AWS::Glue::Table').properties as unknown as GlueTable;
    expect(table.TableInput.StorageDescriptor.Columns).toEqual([
      { Name: 'eventid', Type: 'string' },
      { Name: 'eventtime', Type: 'string' },
      { Name: 'type', Type: 'string' },
      { Name: 'key', Type: 'string' },
      { Name: 'value', Type: 'double' },
      { Name: 'attributes', Type: 'string' },
    ]);
    expect(table.TableInput.PartitionKeys.map((p) => p.Name)).toEqual(['year', 'month', 'day', 'hour']);
    expect(table.TableInput.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      Parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
    });
    expect(table.TableInput.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.hour.digits': '2' });
    // The template matches the delivery stream's prefix.
    expect(JSON.stringify(table.TableInput.Parameters['storage.location.template'])).toContain(
      '/events/year=${year}/month=${month}/day=${day}/hour=${hour}/',
    );
    expect(table.DatabaseName).toBe('streamingpipeline_archive');
  });

  it('keeps query results encrypted in a bucket of their own, enforced by the workgroup', () => {
    const { properties } = onlyResource(dev.template, 'AWS::Athena::WorkGroup');
    expect(properties.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
  });

  it('saves queries that use only the columns and partitions of the table', () => {
    const table = onlyResource(dev.template, 'AWS::Glue::Table').properties as unknown as GlueTable;
    const known = new Set([
      ...table.TableInput.StorageDescriptor.Columns.map((c) => c.Name),
      ...table.TableInput.PartitionKeys.map((p) => p.Name),
    ]);
    const queries = Object.values(dev.template.findResources('AWS::Athena::NamedQuery')).map(
      (q) => (q as { Properties: { QueryString: string; Database: string } }).Properties,
    );
    expect(queries.map((q) => q.QueryString).sort()).toEqual(
      Object.values(ARCHIVE_QUERIES)
        .map((q) => q.sql)
        .sort(),
    );
    for (const q of queries) {
      expect(q.Database).toBe(table.DatabaseName);
      expect(q.QueryString).toMatch(new RegExp(`\\bFROM ${table.TableInput.Name}\\b`));
      // Every column is double-quoted in the queries, so every quoted name must be a column.
      const used = [...q.QueryString.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(3);
      for (const name of used) expect(known.has(name), `${name} in ${q.QueryString}`).toBe(true);
    }
  });
});
