import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An API Gateway HTTP API (payload 2.0) event, as the api function receives it. */
export function apiEvent(
  method: string,
  path: string,
  init: {
    body?: string;
    base64?: boolean;
    type?: string;
    query?: Record<string, string>;
    accept?: string;
    headers?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(init.query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      ...(init.type ? { 'content-type': init.type } : {}),
      ...(init.accept ? { accept: init.accept } : {}),
      ...init.headers,
    },
    ...(init.query ? { queryStringParameters: init.query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:06:00:00 +0000',
      timeEpoch: 1_795_759_200_000,
    },
    ...(init.body !== undefined
      ? { body: init.base64 ? Buffer.from(init.body).toString('base64') : init.body }
      : {}),
    isBase64Encoded: Boolean(init.base64),
  };
}
