/**
 * Errors from AWS (or an emulator) that no retry can fix, and what to tell the person who ran the
 * tool: the cause, what was being reached, and what to do. A tool stops on these at once instead of
 * retrying until its patience runs out and then reporting only that it failed.
 */

export type PermanentFailure =
  | 'no-credentials'
  | 'no-region'
  | 'credentials-refused'
  | 'access-denied'
  | 'not-found'
  | 'connection-refused'
  | 'unknown-host'
  | 'invalid-request';

// The common errors of AWS APIs (e.g. https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/CommonErrors.html),
// S3's own names for the same causes, and Kinesis's KMS errors of an encrypted stream.
const BY_NAME: Readonly<Record<string, PermanentFailure>> = {
  CredentialsProviderError: 'no-credentials',
  UnrecognizedClientException: 'credentials-refused',
  InvalidSignatureException: 'credentials-refused',
  IncompleteSignature: 'credentials-refused',
  IncompleteSignatureException: 'credentials-refused',
  MissingAuthenticationToken: 'credentials-refused',
  MissingAuthenticationTokenException: 'credentials-refused',
  InvalidClientTokenId: 'credentials-refused',
  ExpiredTokenException: 'credentials-refused',
  ExpiredToken: 'credentials-refused',
  InvalidAccessKeyId: 'credentials-refused',
  SignatureDoesNotMatch: 'credentials-refused',
  AccessDeniedException: 'access-denied',
  AccessDenied: 'access-denied',
  KMSAccessDeniedException: 'access-denied',
  NotAuthorized: 'access-denied',
  ResourceNotFoundException: 'not-found',
  NoSuchBucket: 'not-found',
  ValidationException: 'invalid-request',
  InvalidArgumentException: 'invalid-request',
  KMSDisabledException: 'invalid-request',
  KMSNotFoundException: 'invalid-request',
  KMSInvalidStateException: 'invalid-request',
};

const BY_CODE: Readonly<Record<string, PermanentFailure>> = {
  ECONNREFUSED: 'connection-refused',
  ENOTFOUND: 'unknown-host',
};

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly hostname?: unknown;
}

/** The kind of an error no retry can fix, or undefined for one worth retrying (or not known to be fatal). */
export function permanentFailure(error: unknown): PermanentFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorLike;
  if (typeof e.name === 'string' && e.name in BY_NAME) return BY_NAME[e.name];
  if (typeof e.code === 'string' && e.code in BY_CODE) return BY_CODE[e.code];
  // The SDK's words when neither the client nor the environment names a region.
  if (e.message === 'Region is missing') return 'no-region';
  return undefined;
}

/**
 * True when the connection itself failed: a refused or unresolvable endpoint is permanent when
 * nothing has reached it yet (a wrong --endpoint), but may be a blip once it has answered.
 */
export function isConnectionFailure(kind: PermanentFailure | undefined): boolean {
  return kind === 'connection-refused' || kind === 'unknown-host';
}

export interface FailureContext {
  /** What the call reached for, as the person would name it: `stream "events"`, `table "aggregates"`. */
  readonly resource: string;
  /** The flag that names it: `--stream`. */
  readonly flag?: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** The IAM action the call needs: `kinesis:PutRecords`. */
  readonly action?: string;
}

function where(context: FailureContext): string {
  if (context.endpoint !== undefined) return context.endpoint;
  return context.region === undefined ? 'AWS' : `region ${context.region}`;
}

function detail(error: ErrorLike): string {
  const message = typeof error.message === 'string' ? error.message : '';
  const name = typeof error.name === 'string' && error.name !== 'Error' ? error.name : '';
  return [name, message].filter((s) => s !== '').join(': ');
}

/** The cause of a permanent failure in words, with what to do; undefined when it is not one. */
export function explainFailure(error: unknown, context: FailureContext): string | undefined {
  const kind = permanentFailure(error);
  if (kind === undefined) return undefined;
  const e = error as ErrorLike;
  const at = where(context);
  const flag = context.flag === undefined ? '' : `${context.flag}: `;
  switch (kind) {
    case 'no-credentials':
      return (
        `no AWS credentials found to reach ${context.resource} at ${at}: set AWS_PROFILE (after aws configure or ` +
        'aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as for the AWS CLI. Against local mode ' +
        '(an --endpoint on 127.0.0.1 or localhost) none are needed.'
      );
    case 'no-region':
      return `no AWS region to reach ${context.resource}: pass --region or set AWS_REGION.`;
    case 'credentials-refused':
      return (
        `${at} refused the credentials (${detail(e)}): check AWS_PROFILE or the access keys in the environment, ` +
        'and renew an expired session (aws sso login).'
      );
    case 'access-denied':
      return (
        `access denied to ${context.resource} at ${at} (${detail(e)})` +
        (context.action === undefined ? '.' : `: the caller needs ${context.action} on it.`)
      );
    case 'not-found':
      return (
        `${flag}${context.resource} was not found at ${at}: check the name` +
        `${context.endpoint === undefined ? ', --region and the account of your credentials' : ' and --endpoint'}.`
      );
    case 'connection-refused':
      return `nothing is listening at ${at} (connection refused): start local mode (npm start) or correct --endpoint.`;
    case 'unknown-host':
      return `cannot resolve the host ${typeof e.hostname === 'string' ? e.hostname : at}: check --endpoint, --region and the network.`;
    case 'invalid-request':
      return `${flag}${context.resource} at ${at} refused the request (${detail(e)}).`;
  }
}

/** Runs `call`; an error no retry fixes comes out in words, as explainFailure gives them. */
export async function explained<T>(call: () => Promise<T>, context: FailureContext): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const words = explainFailure(error, context);
    throw words === undefined ? error : new Error(words, { cause: error });
  }
}
