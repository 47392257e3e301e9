import type {
  AttributeValue,
  GetItemCommandInput,
  PutItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  type Credentials,
  nodeTransport,
  partitionDomain,
  signRequest,
  sleepMs,
  type Transport,
  transportFailure,
  withRetries,
} from './signed-request';

export type Item = Record<string, AttributeValue>;

/** The DynamoDB calls the aggregator's stores make, with the SDK's input and output shapes. */
export interface ItemClient {
  getItem(input: GetItemCommandInput): Promise<{ Item?: Item }>;
  putItem(input: PutItemCommandInput): Promise<unknown>;
  updateItem(input: UpdateItemCommandInput): Promise<{ Attributes?: Item }>;
}

export type ItemOperation = 'GetItem' | 'PutItem' | 'UpdateItem';

/**
 * A refused condition, from either client: the SDK's ConditionalCheckFailedException or this
 * module's DynamoDbError, both named so and carrying the item when the request asked for it.
 */
export function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Item } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** DynamoDB's error answer (its `__type`, as the SDK names its exceptions), or a transport failure. */
export class DynamoDbError extends Error {
  /** The item DynamoDB returned with a ConditionalCheckFailedException (ReturnValuesOnConditionCheckFailure). */
  readonly Item?: Item;

  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number | undefined,
    readonly attempts: number,
    item?: Item,
  ) {
    super(message);
    this.name = code;
    if (item !== undefined) this.Item = item;
  }
}

/**
 * Hooks around a call, for local mode's fault injection and the tests' (as middleware would sit in
 * the SDK's stack). A throw from `beforeCall` fails the call with no attempt made; a throw from
 * `beforeAttempt` or `afterAnswer` is that attempt's outcome, retried as the same answer from the
 * network would be (a DynamoDbError with a status as a service error, anything else as a transport failure).
 */
export interface ItemCallInterceptor {
  beforeCall?(operation: ItemOperation, input: object): void;
  beforeAttempt?(operation: ItemOperation, input: object): void;
  afterAnswer?(operation: ItemOperation, input: object): void;
}

export interface DynamoDbItemClientOptions {
  readonly region: string;
  /** Called for each attempt, so rotated credentials are picked up. */
  readonly credentials: () => Credentials;
  /**
   * An endpoint override (an emulator).
   * @default https://dynamodb.<region>.amazonaws.com (amazonaws.com.cn in China)
   */
  readonly endpoint?: string;
  /**
   * Attempts in all, as the SDK's `maxAttempts`.
   * @default 5
   */
  readonly maxAttempts?: number;
  /** @default nodeTransport() */
  readonly transport?: Transport;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Binary attribute values go as base64 in DynamoDB's JSON; the SDK takes and gives Uint8Array. */
function binaryAsBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value;
}

function base64AsBinary(key: string, value: unknown): unknown {
  if (key === 'B' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.map((v: string) => Buffer.from(v, 'base64'));
  }
  return value;
}

/**
 * GetItem, PutItem and UpdateItem over DynamoDB's JSON protocol (AWS JSON 1.0, `X-Amz-Target:
 * DynamoDB_20120810.<Operation>`), SigV4-signed and retried as the SDK retries: what the
 * aggregator needs of DynamoDB, without the SDK client's code.
 */
export class DynamoDbItemClient implements ItemClient {
  private readonly url: URL;
  private readonly transport: Transport;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly interceptors: ItemCallInterceptor[] = [];

  constructor(private readonly options: DynamoDbItemClientOptions) {
    this.url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.${partitionDomain(options.region)}`);
    this.transport = options.transport ?? nodeTransport();
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? sleepMs;
  }

  intercept(interceptor: ItemCallInterceptor): void {
    this.interceptors.push(interceptor);
  }

  getItem(input: GetItemCommandInput): Promise<{ Item?: Item }> {
    return this.call('GetItem', input);
  }

  putItem(input: PutItemCommandInput): Promise<unknown> {
    return this.call('PutItem', input);
  }

  updateItem(input: UpdateItemCommandInput): Promise<{ Attributes?: Item }> {
    return this.call('UpdateItem', input);
  }

  private async call<T>(operation: ItemOperation, input: object): Promise<T> {
    for (const i of this.interceptors) i.beforeCall?.(operation, input);
    const body = Buffer.from(JSON.stringify(input, binaryAsBase64));
    const headers = { 'content-type': CONTENT_TYPE, 'x-amz-target': `DynamoDB_20120810.${operation}` };
    return withRetries(
      async (attempt) => {
        let answer;
        try {
          for (const i of this.interceptors) i.beforeAttempt?.(operation, input);
          const request = signRequest(
            { method: 'POST', url: this.url, headers, body },
            { service: 'dynamodb', region: this.options.region, credentials: this.options.credentials() },
          );
          answer = await this.transport(request);
          for (const i of this.interceptors) i.afterAnswer?.(operation, input);
        } catch (error) {
          throw error instanceof DynamoDbError
            ? new DynamoDbError(error.message, error.code, error.statusCode, attempt, error.Item)
            : transportError(operation, error, attempt);
        }
        if (answer.statusCode === 200) return JSON.parse(answer.body.toString('utf8'), base64AsBinary) as T;
        throw serviceError(operation, answer.statusCode, answer.body, attempt);
      },
      (error) =>
        error instanceof DynamoDbError
          ? { statusCode: error.statusCode, code: error.code, transportError: error.statusCode === undefined }
          : undefined,
      { maxAttempts: this.maxAttempts, sleep: this.sleep },
    );
  }
}

function serviceError(operation: ItemOperation, statusCode: number, body: Buffer, attempts: number): DynamoDbError {
  let parsed: { __type?: string; message?: string; Message?: string; Item?: Item } = {};
  try {
    parsed = JSON.parse(body.toString('utf8'), base64AsBinary) as typeof parsed;
  } catch {
    // Not DynamoDB's JSON (a proxy's page, say): the status alone names it.
  }
  const code = parsed.__type?.slice(parsed.__type.indexOf('#') + 1) || `Http${statusCode}`;
  const message = parsed.message ?? parsed.Message ?? '';
  return new DynamoDbError(
    `DynamoDB ${operation} failed after ${attempts} attempt(s): ${code} (HTTP ${statusCode})${message ? `: ${message}` : ''}`,
    code,
    statusCode,
    attempts,
    parsed.Item,
  );
}

function transportError(operation: ItemOperation, error: unknown, attempts: number): DynamoDbError {
  const { code, message } = transportFailure(error);
  return new DynamoDbError(
    `DynamoDB ${operation} failed after ${attempts} attempt(s): ${code}: ${message}`,
    code,
    undefined,
    attempts,
  );
}
