import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, endpointConfig, isLocalEndpoint } from '../../local/credentials';

describe("local mode's credentials", () => {
  it('knows an endpoint on this machine', () => {
    for (const local of ['http://127.0.0.1:4567', 'http://localhost:4568', 'http://LOCALHOST:1', 'http://[::1]:4569']) {
      expect(isLocalEndpoint(local), local).toBe(true);
    }
    for (const other of [
      'https://kinesis.eu-west-1.amazonaws.com',
      'http://127.0.0.2:1',
      'http://10.0.0.5:4566',
      'http://localhost.example.com',
      'not a url',
    ]) {
      expect(isLocalEndpoint(other), other).toBe(false);
    }
  });

  it("gives a local endpoint the emulators' credentials and region, and leaves any other to the SDK's chain", () => {
    expect(endpointConfig('http://127.0.0.1:4567', undefined)).toEqual({
      endpoint: 'http://127.0.0.1:4567',
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    expect(endpointConfig('http://localhost:4567', 'eu-west-1').region).toBe('eu-west-1');
    expect(endpointConfig('https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com', 'eu-west-1')).toEqual({
      endpoint: 'https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com',
      region: 'eu-west-1',
    });
    expect(endpointConfig(undefined, undefined)).toEqual({});
  });
});
