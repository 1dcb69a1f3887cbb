import { createServer, request, type Server } from 'node:http';

/** What the stand-in saw: SendEmail calls, those it answered 429, and when it let the first and last through. */
export interface SesThrottleCounts {
  sends: number;
  throttled: number;
  /** Epoch ms of the first and the latest SendEmail passed on to the emulator. */
  firstPassedAt?: number;
  lastPassedAt?: number;
}

/**
 * Stands in for SES's own rate limit locally: a proxy in front of the SES emulator that lets
 * `SendEmail` calls through at most `ratePerSecond` a second (a token bucket holding one
 * second's worth) and answers the rest as SES does, `429 TooManyRequestsException` ("Maximum
 * sending rate exceeded."), so that the SDK's retries and the send path's pacing and backoff
 * meet the real behaviour. Everything else (GetAccount, the mailbox, /store) passes through.
 */
export function createSesThrottle(
  upstream: { host: string; port: number },
  ratePerSecond: () => number,
): Server & { counts: SesThrottleCounts } {
  const counts: SesThrottleCounts = { sends: 0, throttled: 0 };
  let tokens = ratePerSecond();
  let updatedAt = Date.now();
  const take = (): boolean => {
    const rate = ratePerSecond();
    const now = Date.now();
    tokens = Math.min(rate, tokens + ((now - updatedAt) / 1000) * rate);
    updatedAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const server = createServer((req, res) => {
    const isSend = req.method === 'POST' && (req.url ?? '').startsWith('/v2/email/outbound-emails');
    if (isSend) counts.sends += 1;
    if (isSend && !take()) {
      counts.throttled += 1;
      req.resume();
      res.writeHead(429, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'TooManyRequestsException',
        'x-amzn-requestid': `local-throttle-${Date.now()}`,
      });
      res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
      return;
    }
    if (isSend) {
      const now = Date.now();
      counts.firstPassedAt ??= now;
      counts.lastPassedAt = now;
    }
    const forward = request(
      { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  return Object.assign(server, { counts });
}
