/**
 * The CloudWatch metric sink, checked on the wire: a local endpoint speaks CloudWatch's JSON 1.0
 * protocol (there is no local CloudWatch) and records every PutMetricData as the SDK sent it.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchMetricSink } from '../shared/metrics/cloudwatch';
import type { KindMetric } from '../shared/probes/types';
import type { CheckResult, CheckStatus } from '../shared/types';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';
import { freePort } from './helpers/dynamodb-local';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const PASS_AT = new Date('2030-05-01T10:00:00.000Z');
const HOME = 'eu-central-1';

function result(checkId: string, status: CheckStatus = 'pass', over: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId,
    kind: 'http',
    region: 'us-east-1',
    scheduledAt: '2030-05-01T10:00:12.000Z',
    startedAt: '2030-05-01T10:00:12.004Z',
    durationMs: 231,
    status,
    attempts: 1,
    timings: { total: 231 },
    assertions: [],
    // A kind's figure: one datum every run, so call packing is visible whatever the status.
    metrics: { Figure: 1 },
    ...over,
  };
}

interface WireDatum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Timestamp: number;
  Value: number;
  Unit: string;
}

let cw: AwsCapture;
const clients: CloudWatchClient[] = [];
/** SDK retries off: the sink's own retries are what is observed. */
function client(endpoint = cw.endpoint) {
  const c = new CloudWatchClient({
    endpoint,
    region: HOME,
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
    maxAttempts: 1,
  });
  clients.push(c);
  return c;
}
const datums = (): WireDatum[] =>
  cw
    .calls('PutMetricData')
    .filter((c) => c.answer === 'ok')
    .flatMap((c) => c.body.MetricData as WireDatum[]);
const dims = (d: WireDatum) => Object.fromEntries(d.Dimensions.map((x) => [x.Name, x.Value]));

beforeAll(async () => {
  cw = await startAwsCapture();
});
afterEach(() => {
  cw.reset();
  while (clients.length) clients.pop()!.destroy();
});
afterAll(() => cw.close());

describe('CloudWatchMetricSink', () => {
  it('publishes Failed, Slow, kind figures, runner health: exact names, dimensions, values, units, times', async () => {
    const sink = new CloudWatchMetricSink({ client: client(), project: 'shop' });
    const slow = { code: 'SLOW' as const, message: 'took 1.5s, slower than degradedAfter 1s' };
    const report = await sink.publish(
      [
        result('shop-home', 'pass', { metrics: {} }),
        result('shop-api', 'fail', { durationMs: 10_000, metrics: {} }),
        result('blog', 'degraded', { durationMs: 1_500, degraded: slow, metrics: {} }),
        result('cert', 'degraded', { degraded: { code: 'CERT_EXPIRING', message: 'x' }, metrics: {} }),
      ],
      'us-east-1',
      PASS_AT,
    );
    expect(report).toEqual({ published: 3, failed: [] });

    const calls = cw.calls('PutMetricData');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.target).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(calls[0]!.body.Namespace).toBe('Watchpost');

    const sent = datums();
    // Only what alarms count: a failed run, a slow run. A pass (or another warn level) sends nothing.
    expect(sent.map((d) => `${d.MetricName}/${dims(d).CheckId ?? '-'}`).sort()).toEqual([
      'Failed/shop-api',
      'RunnerHealth/-',
      'Slow/blog',
    ]);
    for (const d of sent.filter((x) => x.MetricName !== 'RunnerHealth')) {
      expect(d).toMatchObject({ Value: 1, Unit: 'Count' });
      // Exactly Project and CheckId: every region feeds the same series, so a Sum counts regions.
      expect(d.Dimensions).toEqual([
        { Name: 'Project', Value: 'shop' },
        { Name: 'CheckId', Value: dims(d).CheckId },
      ]);
      // Timestamp is the scheduled time (JSON 1.0 sends epoch seconds).
      expect(d.Timestamp * 1000).toBe(Date.parse('2030-05-01T10:00:12.000Z'));
    }

    const health = sent.filter((d) => d.MetricName === 'RunnerHealth');
    expect(health).toHaveLength(1);
    expect(health[0]).toMatchObject({
      Value: 1,
      Unit: 'Count',
      Dimensions: [
        { Name: 'Project', Value: 'shop' },
        { Name: 'Region', Value: 'us-east-1' },
      ],
    });
    expect(health[0]!.Timestamp * 1000).toBe(PASS_AT.getTime());
  });

  it('logs one JSON line per result with the per-region detail the series merge away', async () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log = {
      debug() {},
      warn() {},
      error() {},
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }),
    };
    const sink = new CloudWatchMetricSink({ client: client(), project: 'shop', log });
    await sink.publish(
      [result('api', 'fail', { error: { code: 'TIMEOUT', message: 'no answer' } })],
      'us-east-1',
      PASS_AT,
    );
    expect(lines).toEqual([
      {
        message: 'check result',
        fields: expect.objectContaining({
          checkId: 'api',
          region: 'us-east-1',
          status: 'fail',
          failed: 1,
          durationMs: 231,
          errorCode: 'TIMEOUT',
          metrics: { Figure: 1 },
        }),
      },
    ]);
  });

  it('publishes the runner health alone when no check was due', async () => {
    const report = await new CloudWatchMetricSink({
      client: client(),
      project: 'shop',
      namespace: 'Custom/Ns',
    }).publish([], 'ap-southeast-2', PASS_AT);
    expect(report).toEqual({ published: 1, failed: [] });
    expect(cw.calls('PutMetricData')[0]!.body.Namespace).toBe('Custom/Ns');
    expect(datums()).toEqual([
      {
        MetricName: 'RunnerHealth',
        Dimensions: [
          { Name: 'Project', Value: 'shop' },
          { Name: 'Region', Value: 'ap-southeast-2' },
        ],
        Timestamp: PASS_AT.getTime() / 1000,
        Value: 1,
        Unit: 'Count',
      },
    ]);
  });

  it('publishes a kind metric with the unit its kind declares, None when undeclared', async () => {
    const transit: KindMetric = { name: 'TransitTime', unit: 'Milliseconds' };
    const kinds = new Map([['email', { metrics: [transit] }]]);
    const sink = new CloudWatchMetricSink({ client: client(), project: 'shop', kinds });
    await sink.publish(
      [
        result('mail', 'pass', { kind: 'email', metrics: { TransitTime: 812, Unknown: 3 } }),
        result('web', 'pass', { kind: 'http', metrics: { TransitTime: 5 } }),
        result('odd', 'fail', { kind: 'http', metrics: { NotANumber: Number.NaN, Inf: Number.POSITIVE_INFINITY } }),
      ],
      'us-east-1',
      PASS_AT,
    );
    const sent = datums();
    const find = (name: string, checkId: string) =>
      sent.find((d) => d.MetricName === name && dims(d).CheckId === checkId);
    expect(find('TransitTime', 'mail')).toMatchObject({
      Value: 812,
      Unit: 'Milliseconds',
      Dimensions: [
        { Name: 'Project', Value: 'shop' },
        { Name: 'CheckId', Value: 'mail' },
      ],
    });
    expect(find('Unknown', 'mail')).toMatchObject({ Value: 3, Unit: 'None' });
    expect(find('TransitTime', 'web')).toMatchObject({ Value: 5, Unit: 'None' });
    // CloudWatch rejects NaN/Infinity (and with them the whole call): they are left out.
    expect(find('NotANumber', 'odd')).toBeUndefined();
    expect(find('Inf', 'odd')).toBeUndefined();
    expect(find('Failed', 'odd')).toBeDefined();
  });

  it('uses the probe registry for units by default (http declares none)', async () => {
    await new CloudWatchMetricSink({ client: client(), project: 'shop' }).publish(
      [result('web', 'pass', { metrics: { TransitTime: 812 } })],
      'us-east-1',
      PASS_AT,
    );
    expect(datums().find((d) => d.MetricName === 'TransitTime')).toMatchObject({ Value: 812, Unit: 'None' });
  });

  it('splits 1,200 results into calls of at most 1,000 datums, each result within one call', async () => {
    const results = Array.from({ length: 1_200 }, (_, i) => result(`check-${i}`, i % 10 ? 'pass' : 'fail'));
    const report = await new CloudWatchMetricSink({ client: client(), project: 'shop' }).publish(
      results,
      'us-east-1',
      PASS_AT,
    );
    // 1,080 passing results × Figure + 120 failed × (Failed + Figure) + the runner health.
    expect(report).toEqual({ published: 1_321, failed: [] });

    const calls = cw.calls('PutMetricData');
    expect(calls.length).toBe(2);
    for (const c of calls) {
      expect(c.body.MetricData.length).toBeLessThanOrEqual(1_000);
      expect(c.bodyBytes).toBeLessThan(1_000_000);
    }
    // Bodies over 10 KiB go gzip-compressed; the capture read them all the same.
    expect(calls.some((c) => c.gzip)).toBe(true);

    const sent = datums();
    expect(sent).toHaveLength(1_321);
    expect(sent.filter((d) => d.MetricName === 'RunnerHealth')).toHaveLength(1);
    expect(sent.filter((d) => d.MetricName === 'Failed' && d.Value === 1)).toHaveLength(120);
    for (const c of calls) {
      const ids = new Set((c.body.MetricData as WireDatum[]).map((d) => dims(d).CheckId).filter(Boolean));
      for (const id of ids)
        expect((c.body.MetricData as WireDatum[]).filter((d) => dims(d).CheckId === id)).toHaveLength(
          Number(id.split('-')[1]) % 10 ? 1 : 2,
        );
    }
  });

  it('keeps each call under 1 MB even with long dimension values', async () => {
    const long = (i: number) => `${String(i).padStart(4, '0')}-${'x'.repeat(1_000)}`;
    // 901 datums would fit one call by count, but at ~1.1 KB each not by size.
    const results = Array.from({ length: 450 }, (_, i) => result(long(i), 'fail'));
    const report = await new CloudWatchMetricSink({ client: client(), project: 'shop' }).publish(
      results,
      'us-east-1',
      PASS_AT,
    );
    expect(report).toEqual({ published: 901, failed: [] });
    const calls = cw.calls('PutMetricData');
    expect(calls.length).toBe(2);
    expect(calls.reduce((n, c) => n + c.bodyBytes, 0)).toBeGreaterThan(1_000_000);
    for (const c of calls) expect(c.bodyBytes).toBeLessThan(1_000_000);
  });

  it('retries throttling and server errors, then succeeds', async () => {
    cw.failNext(2, 'throttle');
    const sink = new CloudWatchMetricSink({ client: client(), project: 'shop', maxAttempts: 3, retryBaseMs: 1 });
    expect(await sink.publish([result('a'), result('b')], 'us-east-1', PASS_AT)).toEqual({ published: 3, failed: [] });
    expect(cw.calls('PutMetricData').map((c) => c.answer)).toEqual(['throttle', 'throttle', 'ok']);

    cw.reset();
    cw.failNext(1, 'server-error');
    expect(await sink.publish([result('a')], 'us-east-1', PASS_AT)).toEqual({ published: 2, failed: [] });
    expect(cw.calls('PutMetricData').map((c) => c.answer)).toEqual(['server-error', 'ok']);
  });

  it('an endpoint that keeps failing: retries, then lists every check id in failed, no throw', async () => {
    cw.failNext(Number.POSITIVE_INFINITY, 'server-error');
    const sink = new CloudWatchMetricSink({ client: client(), project: 'shop', maxAttempts: 3, retryBaseMs: 1 });
    const report = await sink.publish([result('a'), result('b', 'fail'), result('c')], 'us-east-1', PASS_AT);
    expect(report.published).toBe(0);
    expect(report.failed.map((f) => f.checkId).sort()).toEqual(['a', 'b', 'c']);
    for (const f of report.failed) expect(f.reason).toMatch(/InternalServiceFault.*gave up after 3 attempts/);
    expect(cw.calls('PutMetricData')).toHaveLength(3);
  });

  it('fails only the calls that failed: other calls publish', async () => {
    // Calls run in parallel; the first to arrive fails for good (non-retryable), the others pass.
    cw.failNext(1, 'invalid');
    const results = Array.from({ length: 1_200 }, (_, i) => result(`c${i}`, 'fail'));
    const report = await new CloudWatchMetricSink({
      client: client(),
      project: 'shop',
      maxAttempts: 3,
      retryBaseMs: 1,
    }).publish(results, 'us-east-1', PASS_AT);
    const calls = cw.calls('PutMetricData');
    expect(calls).toHaveLength(3); // not retried: a 400 that is not throttling fails the same way again
    const failedCall = calls.find((c) => c.answer === 'invalid')!;
    const failedIds = new Set((failedCall.body.MetricData as WireDatum[]).map((d) => dims(d).CheckId).filter(Boolean));
    expect(new Set(report.failed.map((f) => f.checkId))).toEqual(failedIds);
    expect(report.published).toBe(2_401 - failedCall.body.MetricData.length);
    for (const f of report.failed) expect(f.reason).toMatch(/InvalidParameterValue/);
  });

  it('a dead endpoint: every check id in failed, no throw', async () => {
    const sink = new CloudWatchMetricSink({
      client: client(`http://127.0.0.1:${await freePort()}`),
      project: 'shop',
      maxAttempts: 2,
      retryBaseMs: 1,
    });
    const report = await sink.publish([result('a'), result('b')], 'us-east-1', PASS_AT);
    expect(report).toEqual({
      published: 0,
      failed: [expect.objectContaining({ checkId: 'a' }), expect.objectContaining({ checkId: 'b' })],
    });
    expect(report.failed[0]!.reason).toMatch(/ECONNREFUSED|connect/i);
  });

  it('publishes a runner health of 0 when the pass could not store its results', async () => {
    await new CloudWatchMetricSink({ client: client(), project: 'shop' }).publish([result('a')], 'us-east-1', PASS_AT, {
      runnerHealthy: false,
    });
    expect(datums().find((d) => d.MetricName === 'RunnerHealth')).toMatchObject({
      Value: 0,
      Dimensions: [
        { Name: 'Project', Value: 'shop' },
        { Name: 'Region', Value: 'us-east-1' },
      ],
    });
  });
});
