import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';

/**
 * The newest `nodejsNN.x` runtime this aws-cdk-lib knows. Picked by version rather than named,
 * so upgrading aws-cdk-lib moves the functions forward (cdk-nag's L1 asks for the newest).
 */
export function newestNodeRuntime(): Runtime {
  let newest: { runtime: Runtime; major: number } | undefined;
  for (const value of Object.values(Runtime)) {
    if (!(value instanceof Runtime) || value.family !== RuntimeFamily.NODEJS) continue;
    const match = /^nodejs(\d+)\.x$/.exec(value.name);
    if (match === null) continue;
    const major = Number(match[1]);
    if (newest === undefined || major > newest.major) newest = { runtime: value, major };
  }
  if (newest === undefined) throw new Error('aws-cdk-lib lists no nodejsNN.x runtime');
  return newest.runtime;
}
