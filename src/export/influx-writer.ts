import { InfluxDB, type Logger, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import { request } from 'undici';
import { KittError } from '../core/errors.js';
import { redactUrl, type Secret } from '../core/secret.js';
import type { MetricPoint } from './metric-point.js';

/**
 * Where points go: InfluxDB 2.x through the official client's write API (`/api/v2/write`, token
 * auth), or InfluxDB 1.x through `/write?db=` (1.x before 1.8 has no v2 compatibility endpoint).
 * The URL, token and password are Secrets, revealed only to the HTTP client; messages show the
 * URL with its credentials removed.
 */
export type InfluxTarget =
  | { readonly version: 2; readonly url: Secret; readonly org: string; readonly bucket: string; readonly token: Secret }
  | {
      readonly version: 1;
      readonly url: Secret;
      readonly database: string;
      readonly username?: string;
      readonly password?: Secret;
    };

export interface InfluxWriter {
  write(points: readonly MetricPoint[]): void;
  /** Sends what is buffered; rejects with EXPORT_FAILED naming the server and its answer. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function toPoint(point: MetricPoint): Point {
  const out = new Point(point.measurement).timestamp(String(Math.round(point.timestampMs)));
  for (const [key, value] of Object.entries(point.tags)) out.tag(key, value);
  for (const [key, value] of Object.entries(point.fields)) {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) out.floatField(key, value);
    } else if (typeof value === 'boolean') out.booleanField(key, value);
    else out.stringField(key, value);
  }
  return out;
}

/** Line protocol with millisecond timestamps; points without fields are dropped (Influx rejects them). */
export function toLineProtocol(points: readonly MetricPoint[]): string {
  return points
    .map((point) => toPoint(point).toLineProtocol())
    .filter((line): line is string => line !== undefined)
    .join('\n');
}

export function createInfluxWriter(target: InfluxTarget): InfluxWriter {
  return target.version === 2 ? createV2Writer(target) : createV1Writer(target);
}

// The client prints every failed attempt, error object and all, straight to the console, outside
// kitt's progress and its redaction; kitt reports the failure itself (EXPORT_FAILED, URL redacted).
const QUIET: Logger = { error: () => {}, warn: () => {} };

function createV2Writer(target: Extract<InfluxTarget, { version: 2 }>): InfluxWriter {
  setLogger(QUIET);
  const writeApi: WriteApi = new InfluxDB({ url: target.url.reveal(), token: target.token.reveal() }).getWriteApi(
    target.org,
    target.bucket,
    'ms',
    { maxRetries: 2, flushInterval: 0, batchSize: 5000 },
  );
  const failed = (cause: unknown) =>
    new KittError(
      'EXPORT_FAILED',
      redactUrl(`InfluxDB at ${target.url} refused the points: ${(cause as Error).message}`),
      { hint: 'check export.influx.url, org, bucket and token (kitt config show)', cause },
    );
  return {
    write: (points) => writeApi.writePoints(points.map(toPoint)),
    flush: () => writeApi.flush().catch((cause) => Promise.reject(failed(cause))),
    close: () => writeApi.close().catch((cause) => Promise.reject(failed(cause))),
  };
}

function createV1Writer(target: Extract<InfluxTarget, { version: 1 }>): InfluxWriter {
  let buffer: MetricPoint[] = [];
  const url = new URL('/write', target.url.reveal());
  url.searchParams.set('db', target.database);
  url.searchParams.set('precision', 'ms');
  if (target.username) url.searchParams.set('u', target.username);
  if (target.password) url.searchParams.set('p', target.password.reveal());
  const flush = async () => {
    if (buffer.length === 0) return;
    const body = toLineProtocol(buffer);
    buffer = [];
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    } catch (cause) {
      const reason = cause instanceof Error ? `: ${redactUrl(cause.message)}` : '';
      throw new KittError('EXPORT_FAILED', `cannot reach InfluxDB at ${target.url}${reason}`, {
        hint: 'start InfluxDB or fix export.influx.url',
        cause,
      });
    }
    const text = await response.body.text();
    if (response.statusCode !== 204) {
      const answer = redactUrl(text.trim().slice(0, 200));
      throw new KittError('EXPORT_FAILED', `InfluxDB answered ${response.statusCode}: ${answer}`, {
        hint: 'check export.influx.database exists (CREATE DATABASE) and the credentials',
      });
    }
  };
  return {
    write: (points) => {
      buffer.push(...points);
    },
    flush,
    close: flush,
  };
}
