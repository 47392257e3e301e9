import { describe, expect, it } from 'vitest';
import { explainFailure, isConnectionFailure, permanentFailure } from '../../cli/aws-errors';

const named = (name: string, message = 'm'): Error => Object.assign(new Error(message), { name });
const coded = (code: string, message: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code, ...extra });

describe('errors no retry can fix', () => {
  it('tells them from the ones worth retrying', () => {
    expect(permanentFailure(named('CredentialsProviderError'))).toBe('no-credentials');
    expect(permanentFailure(named('UnrecognizedClientException'))).toBe('credentials-refused');
    expect(permanentFailure(named('InvalidSignatureException'))).toBe('credentials-refused');
    expect(permanentFailure(named('ExpiredTokenException'))).toBe('credentials-refused');
    expect(permanentFailure(named('AccessDeniedException'))).toBe('access-denied');
    expect(permanentFailure(named('ResourceNotFoundException'))).toBe('not-found');
    expect(permanentFailure(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe('connection-refused');
    expect(permanentFailure(coded('ENOTFOUND', 'getaddrinfo ENOTFOUND x.invalid'))).toBe('unknown-host');
    expect(permanentFailure(new Error('Region is missing'))).toBe('no-region');

    expect(permanentFailure(named('ProvisionedThroughputExceededException'))).toBeUndefined();
    expect(permanentFailure(named('InternalFailure'))).toBeUndefined();
    expect(permanentFailure(coded('ECONNRESET', 'socket hang up'))).toBeUndefined();
    expect(permanentFailure('text')).toBeUndefined();
    expect(permanentFailure(undefined)).toBeUndefined();

    expect(isConnectionFailure('connection-refused')).toBe(true);
    expect(isConnectionFailure('unknown-host')).toBe(true);
    expect(isConnectionFailure('not-found')).toBe(false);
  });

  it('names the cause, what was being reached, and what to do', () => {
    const stream = { resource: 'stream "events"', flag: '--stream', region: 'eu-west-1', action: 'kinesis:PutRecords' };
    const local = { ...stream, endpoint: 'http://127.0.0.1:4567' };
    expect(explainFailure(named('CredentialsProviderError'), stream)).toMatch(
      /^no AWS credentials found to reach stream "events" at region eu-west-1: set AWS_PROFILE .* AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(explainFailure(named('ResourceNotFoundException'), stream)).toBe(
      '--stream: stream "events" was not found at region eu-west-1: check the name, --region and the account of your credentials.',
    );
    expect(explainFailure(named('ResourceNotFoundException'), local)).toBe(
      '--stream: stream "events" was not found at http://127.0.0.1:4567: check the name and --endpoint.',
    );
    expect(explainFailure(named('AccessDeniedException', 'User x is not authorized'), stream)).toBe(
      'access denied to stream "events" at region eu-west-1 (AccessDeniedException: User x is not authorized): the caller needs kinesis:PutRecords on it.',
    );
    expect(explainFailure(named('UnrecognizedClientException', 'The security token is invalid'), stream)).toMatch(
      /^region eu-west-1 refused the credentials \(UnrecognizedClientException: The security token is invalid\): check AWS_PROFILE/,
    );
    expect(explainFailure(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4567'), local)).toBe(
      'nothing is listening at http://127.0.0.1:4567 (connection refused): start local mode (npm start) or correct --endpoint.',
    );
    expect(explainFailure(coded('ENOTFOUND', 'getaddrinfo', { hostname: 'kinesis.xx.amazonaws.com' }), stream)).toBe(
      'cannot resolve the host kinesis.xx.amazonaws.com: check --endpoint, --region and the network.',
    );
    expect(explainFailure(new Error('Region is missing'), { resource: 'table "t"' })).toBe(
      'no AWS region to reach table "t": pass --region or set AWS_REGION.',
    );
    expect(explainFailure(named('ThrottlingException'), stream)).toBeUndefined();
  });
});
