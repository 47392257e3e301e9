import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An environment as a new user's shell has it: no AWS credentials, no profile, an empty home (no
 * ~/.aws), and no instance metadata to ask, so the SDK's credential chain fails at once and the
 * same way on every machine.
 */
export function withoutAwsCredentials(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...clean,
    HOME: mkdtempSync(join(tmpdir(), 'empty-home-')),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
