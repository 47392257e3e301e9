import { CONFIG_REFERENCE, type SettingDoc } from '../../lib/config-reference';
import { PROFILES } from '../../lib/config';

export class UndocumentedSettingError extends Error {
  constructor(keys: readonly string[]) {
    super(`config settings without an entry in CONFIG_REFERENCE (lib/config-reference.ts): ${keys.join(', ')}`);
    this.name = 'UndocumentedSettingError';
  }
}

function show(value: unknown): string {
  if (value === '') return '(none)';
  return String(value);
}

/** Every config key, its dev and prod values (from PROFILES), what it accepts and why (from CONFIG_REFERENCE). */
export function configTable(reference: typeof CONFIG_REFERENCE = CONFIG_REFERENCE): string {
  const docs = reference as Record<string, Record<string, SettingDoc | undefined> | SettingDoc | undefined>;
  const rows: string[] = [];
  const missing: string[] = [];
  const dev = PROFILES.dev as unknown as Record<string, unknown>;
  const prod = PROFILES.prod as unknown as Record<string, unknown>;
  for (const [section, value] of Object.entries(dev)) {
    if (section === 'stage') continue;
    const leaves: [key: string, dev: unknown, prod: unknown, doc: SettingDoc | undefined][] =
      typeof value === 'object' && value !== null
        ? Object.entries(value).map(([field, v]) => [
            `${section}.${field}`,
            v,
            (prod[section] as Record<string, unknown>)[field],
            (docs[section] as Record<string, SettingDoc | undefined> | undefined)?.[field],
          ])
        : [[section, value, prod[section], docs[section] as SettingDoc | undefined]];
    for (const [key, d, p, doc] of leaves) {
      if (doc === undefined) {
        missing.push(key);
        continue;
      }
      rows.push(`| \`${key}\` | ${show(d)} | ${show(p)} | ${doc.allowed} | ${doc.why} |`);
    }
  }
  if (missing.length > 0) throw new UndocumentedSettingError(missing);
  return ['| setting | dev | prod | allowed | why |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
