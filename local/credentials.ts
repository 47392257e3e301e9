/**
 * s3rver accepts only these; the other emulators accept any key. Apart from the emulators, so a
 * client of local mode (npm run verify) does not load them.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

/** The hosts of this machine that local mode's emulators listen on, as URL parsing gives them. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for an endpoint on this machine (127.0.0.1, localhost, ::1): local mode, or another emulator. */
export function isLocalEndpoint(endpoint: string): boolean {
  try {
    return LOCAL_HOSTS.has(new URL(endpoint).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export interface EndpointConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: typeof LOCAL_CREDENTIALS;
}

/**
 * An SDK client's endpoint, region and credentials for a tool's `--endpoint` and `--region`.
 * Against a local endpoint the emulators' credentials, so a shell without AWS credentials works
 * with local mode; anywhere else the SDK's own chain (profile, keys, SSO, instance role).
 */
export function endpointConfig(endpoint: string | undefined, region: string | undefined): EndpointConfig {
  if (endpoint !== undefined && isLocalEndpoint(endpoint)) {
    return { endpoint, region: region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  }
  return { ...(endpoint === undefined ? {} : { endpoint }), ...(region === undefined ? {} : { region }) };
}
