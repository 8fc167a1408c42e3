/**
 * The `queue` kind: SQS against a capture server that answers like SQS/CloudWatch (and what
 * goes over the wire), RabbitMQ against a real private node with the management plugin.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, validateConfig } from '../shared/config/validate';
import type { ValidatedCheck } from '../shared/config/types';
import { registry } from '../shared/probes/registry';
import { resetSqsClients } from '../shared/probes/queue/sqs';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { rabbitAvailable, startRabbit, type RabbitNode } from './helpers/rabbitmq';
import { cloudWatchDatapoints, sqsAttributes, startCapture, type CaptureServer } from './helpers/sqs-capture';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const MONITOR_PASSWORD = 'rabbit-pw-7f3a91c2';
const secrets: SecretResolver = async (name) => {
  if (name === 'rabbit-monitor') return MONITOR_PASSWORD;
  if (name === 'rabbit-wrong') return 'not-the-password-x1';
  throw new Error(`no secret ${name}`);
};

function queueCheck(fields: Record<string, unknown>): ValidatedCheck {
  return parseConfig({ ...base, checks: [{ id: 'q', kind: 'queue', timeout: '3s', ...fields }] }).checks[0]!;
}
const run = (fields: Record<string, unknown>) => runCheck(queueCheck(fields), { region: 'eu-central-1', secrets });

function diagnostics(check: Record<string, unknown>) {
  const r = validateConfig({ ...base, checks: [{ id: 'q', kind: 'queue', ...check }] });
  return r.ok ? [] : r.diagnostics;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('queue config', () => {
  it('accepts an SQS queue and a RabbitMQ queue with number or warn/fail limits', () => {
    const c = queueCheck({
      sqs: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/orders' },
      maxDepth: { warn: 10, fail: 100 },
      maxAge: '5m',
    });
    expect(registry.get('queue')!.target(c)).toBe('sqs https://sqs.eu-central-1.amazonaws.com/123456789012/orders');
    const r = queueCheck({
      rabbitmq: {
        url: 'http://rabbit.internal:15672',
        queue: 'imports',
        auth: { username: 'monitor', password: { secret: 'x' } },
      },
      maxDepth: 5,
    });
    expect((r as any).rabbitmq.vhost).toBe('/');
  });

  it('reports every problem with its path', () => {
    expect(diagnostics({})).toEqual([
      expect.objectContaining({ path: 'checks[0] "q"', message: 'a queue check needs sqs or rabbitmq' }),
    ]);
    const both = diagnostics({
      sqs: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/1/a' },
      rabbitmq: { url: 'http://r:15672', queue: 'a', auth: { username: 'u', password: 'p' } },
    });
    expect(both.map((d) => d.path)).toEqual(['checks[0] "q".rabbitmq']);

    const many = diagnostics({
      sqs: { queueUrl: 'http://127.0.0.1:9/1/orders', visibility: 3 },
      maxDepth: { warn: 100, fail: 10 },
      maxAge: 300,
    });
    const paths = many.map((d) => d.path);
    expect(paths).toContain('checks[0] "q".sqs.visibility');
    expect(paths).toContain('checks[0] "q".maxDepth.warn');
    expect(many.find((d) => d.path === 'checks[0] "q".maxAge')!.hint).toMatch(/"300ms" or "300s"/);

    expect(diagnostics({ sqs: { queueUrl: 'http://127.0.0.1:9/1/orders' } }).map((d) => d.path)).toEqual([
      'checks[0] "q".sqs.region',
    ]);
    expect(diagnostics({ sqs: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/' } }).map((d) => d.path)).toEqual([
      'checks[0] "q".sqs.queueUrl',
    ]);
    expect(
      diagnostics({ rabbitmq: { url: 'http://r:15672', queue: '', auth: { username: 'u' } }, maxDepth: {} })
        .map((d) => d.path)
        .sort(),
    ).toEqual(['checks[0] "q".maxDepth', 'checks[0] "q".rabbitmq.auth.password', 'checks[0] "q".rabbitmq.queue']);
    const source = diagnostics({
      sqs: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/1/a' },
      assertions: [{ source: 'depht', comparison: 'lessThan', target: 5 }],
    })[0]!;
    expect(source.path).toBe('checks[0] "q".assertions[0].source');
    expect(`${source.message} ${source.hint ?? ''}`).toContain('depth');
  });

  it('adds a warning alarm for a warn depth only: the fail level pages through the down alarm', () => {
    const kind = registry.get('queue')!;
    const url = 'https://sqs.eu-central-1.amazonaws.com/123456789012/orders';
    expect(kind.alarms!(queueCheck({ sqs: { queueUrl: url }, maxDepth: 100 }))).toEqual([]);
    expect(kind.alarms!(queueCheck({ sqs: { queueUrl: url }, maxDepth: { warn: 10, fail: 100 } }))).toEqual([
      expect.objectContaining({
        name: 'queue-depth',
        metric: 'QueueDepth',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: 10,
        severity: 'warning',
        code: 'QUEUE_DEPTH',
      }),
    ]);
    expect(registry.get('queue')!.metrics!.map((m) => m.name)).toEqual(['QueueDepth']);
  });
});

describe('queue on SQS (capture server speaking the SQS/CloudWatch JSON protocol)', () => {
  let cap: CaptureServer;
  const saved: Record<string, string | undefined> = {};
  const envs = {
    AWS_ACCESS_KEY_ID: 'AKIDWATCHPOSTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CLOUDWATCH: '',
  };
  let queueUrl: string;

  beforeAll(async () => {
    cap = await startCapture();
    queueUrl = `${cap.url}/123456789012/orders`;
    for (const [k, v] of Object.entries({ ...envs, AWS_ENDPOINT_URL_CLOUDWATCH: cap.url })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    resetSqsClients();
  });
  afterAll(async () => {
    resetSqsClients();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await cap.close();
  });

  const sqs = (extra: Record<string, unknown> = {}) => ({ sqs: { queueUrl, region: 'eu-west-1' }, ...extra });

  it('reads the depth with GetQueueAttributes, signed for the queue region, and publishes QueueDepth', async () => {
    cap.requests.length = 0;
    cap.reply(() =>
      sqsAttributes({
        ApproximateNumberOfMessages: 42,
        ApproximateNumberOfMessagesNotVisible: 3,
        ApproximateNumberOfMessagesDelayed: 1,
      }),
    );
    const r = await run(
      sqs({
        assertions: [
          { source: 'depth', comparison: 'lessThan', target: 100 },
          { source: 'inFlight', comparison: 'equals', target: 3 },
        ],
      }),
    );
    expect(r.status).toBe('pass');
    expect(r.metrics).toEqual({ QueueDepth: 42 });
    expect(r.details).toMatchObject({
      provider: 'sqs',
      queue: 'orders',
      region: 'eu-west-1',
      depth: 42,
      inFlight: 3,
      delayed: 1,
    });
    expect(r.assertions.every((a) => a.pass)).toBe(true);

    expect(cap.requests).toHaveLength(1); // no CloudWatch call: no age needed
    const req = cap.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.target).toBe('AmazonSQS.GetQueueAttributes');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(req.body).toEqual({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    });
    expect(String(req.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDWATCHPOSTTEST\/\d{8}\/eu-west-1\/sqs\/aws4_request/,
    );
  });

  it('is degraded above warn and fails above fail (QUEUE_DEPTH); equal to a limit is fine', async () => {
    cap.reply(() => sqsAttributes({ ApproximateNumberOfMessages: 50 }));
    expect((await run(sqs({ maxDepth: { warn: 50, fail: 100 } }))).status).toBe('pass');
    const degraded = await run(sqs({ maxDepth: { warn: 10, fail: 100 } }));
    expect(degraded.status).toBe('degraded');
    expect(degraded.error).toBeUndefined();
    expect(degraded.details!.warnings).toEqual(['50 messages, above the warning level 10']);
    const failed = await run(sqs({ maxDepth: 20 }));
    expect(failed.status).toBe('fail');
    expect(failed.error).toEqual({
      code: 'QUEUE_DEPTH',
      message: 'SQS queue orders holds 50 messages, above the limit 20',
    });
    expect(failed.metrics.QueueDepth).toBe(50);
  });

  it('reads the oldest message age from CloudWatch ApproximateAgeOfOldestMessage when maxAge is set', async () => {
    cap.requests.length = 0;
    const now = Date.now();
    let newest = 420;
    cap.reply((req) =>
      req.target === 'AmazonSQS.GetQueueAttributes'
        ? sqsAttributes({ ApproximateNumberOfMessages: 7 })
        : cloudWatchDatapoints([
            { at: new Date(now - 180_000), maximum: 100 },
            { at: new Date(now - 120_000), maximum: newest },
          ]),
    );
    const r = await run(sqs({ maxAge: { warn: '5m', fail: '10m' } }));
    expect(r.status).toBe('degraded');
    expect(r.details).toMatchObject({ ageSeconds: 420 });
    expect(r.details!.warnings).toEqual(['oldest message 7m old, above the warning level 5m']);
    const cw = cap.requests.find((q) => q.target === 'GraniteServiceVersion20100801.GetMetricStatistics')!;
    expect(cw).toBeDefined();
    expect(cw.body).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: 'orders' }],
      Period: 60,
      Statistics: ['Maximum'],
    });
    expect(String(cw.headers.authorization)).toContain('/eu-west-1/monitoring/aws4_request');

    newest = 900;
    const failed = await run(sqs({ maxAge: '10m', maxDepth: 100 }));
    expect(failed.error).toEqual({
      code: 'QUEUE_AGE',
      message: 'the oldest message in SQS queue orders is 15m old, above the limit 10m',
    });
  });

  it('does not judge an age CloudWatch does not know, and says why', async () => {
    cap.reply((req) =>
      req.target === 'AmazonSQS.GetQueueAttributes'
        ? sqsAttributes({ ApproximateNumberOfMessages: 3 })
        : cloudWatchDatapoints([]),
    );
    const r = await run(sqs({ maxAge: '1m' }));
    expect(r.status).toBe('pass');
    expect(r.details!.ageUnknown).toMatch(/no ApproximateAgeOfOldestMessage datapoint/);
  });

  it('turns every service and network failure into a coded result inside the timeout', async () => {
    cap.reply(() => ({
      error: 'QueueDoesNotExist',
      message: 'The specified queue does not exist.',
      queryError: 'AWS.SimpleQueueService.NonExistentQueue;Sender',
    }));
    expect((await run(sqs())).error!.code).toBe('QUEUE_NOT_FOUND');

    cap.reply(() => ({
      error: 'AccessDeniedException',
      message: 'User is not authorized to perform: sqs:getqueueattributes',
    }));
    expect((await run(sqs())).error).toMatchObject({ code: 'AUTH' });

    cap.reply(() => ({ error: 'InternalError', message: 'boom', status: 500 }));
    expect((await run(sqs())).error).toMatchObject({ code: 'HTTP_STATUS' });

    cap.reply(() => 'garbage');
    expect((await run(sqs())).error).toMatchObject({ code: 'PROTOCOL' });

    cap.reply(() => 'reset');
    const reset = await run(sqs());
    expect(reset.status).toBe('fail');
    expect(reset.error!.code).toBe('RESET');

    cap.reply(() => 'hang');
    const hung = await run(sqs({ timeout: '1s' }));
    expect(hung.error!.code).toBe('TIMEOUT');

    const port = await closedPort();
    const refused = await runCheck(
      queueCheck({ sqs: { queueUrl: `http://127.0.0.1:${port}/1/orders`, region: 'eu-west-1' } }),
      { region: 'eu-central-1', secrets },
    );
    expect(refused.error!.code).toBe('CONNECT_REFUSED');

    cap.reply((req) =>
      req.target === 'AmazonSQS.GetQueueAttributes'
        ? sqsAttributes({ ApproximateNumberOfMessages: 3 })
        : { error: 'AccessDenied', message: 'no cloudwatch:GetMetricStatistics' },
    );
    const noCw = await run(sqs({ maxAge: '1m' }));
    expect(noCw.error).toMatchObject({ code: 'AUTH' });
    expect(noCw.error!.message).toContain('CloudWatch GetMetricStatistics');
  });
});

describe.runIf(rabbitAvailable())('queue on RabbitMQ (real node, management API)', () => {
  let rabbit: RabbitNode;
  const vhost = 'shop/prod';
  const rmq = (
    extra: Record<string, unknown> = {},
    queue = 'imports',
    password: unknown = { secret: 'rabbit-monitor' },
  ) => ({
    rabbitmq: { url: rabbit.url, vhost, queue, auth: { username: 'monitor', password } },
    ...extra,
  });

  beforeAll(async () => {
    rabbit = await startRabbit();
    await rabbit.createVhost(vhost);
    await rabbit.createMonitor('monitor', MONITOR_PASSWORD, [vhost]);
    await rabbit.declareQueue(vhost, 'imports');
    await rabbit.declareQueue(vhost, 'empty');
    await rabbit.declareQueue(vhost, 'untimed');
    const twoMinutesAgo = Math.floor(Date.now() / 1000) - 120;
    for (let i = 0; i < 3; i++) await rabbit.publish(vhost, 'imports', `order-${i}`, { timestamp: twoMinutesAgo + i });
    await rabbit.publish(vhost, 'untimed', 'no timestamp');
    await Promise.all([
      rabbit.waitForReady(vhost, 'imports', 3),
      rabbit.waitForReady(vhost, 'untimed', 1),
      rabbit.waitForReady(vhost, 'empty', 0),
    ]);
  }, 90_000);
  afterAll(async () => {
    await rabbit?.stop();
  }, 30_000);

  it('reads depth and the oldest message age (head_message_timestamp) with a monitoring user', async () => {
    const r = await run(
      rmq({
        assertions: [
          { source: 'depth', comparison: 'equals', target: 3 },
          { source: 'age', comparison: 'greaterThan', target: 100 },
        ],
      }),
    );
    expect(r.status).toBe('pass');
    expect(r.error).toBeUndefined();
    expect(r.metrics).toEqual({ QueueDepth: 3 });
    expect(r.details).toMatchObject({
      provider: 'rabbitmq',
      queue: 'imports',
      vhost,
      depth: 3,
      inFlight: 0,
      state: 'running',
    });
    expect(r.details!.ageSeconds).toBeGreaterThanOrEqual(100);
    expect(r.timings.total).toBeGreaterThan(0);
    // The password is a secret: never in the result.
    expect(JSON.stringify(r)).not.toContain(MONITOR_PASSWORD);
  });

  it('applies the limits: degraded above warn, QUEUE_DEPTH and QUEUE_AGE above fail', async () => {
    expect((await run(rmq({ maxDepth: { warn: 2, fail: 10 } }))).status).toBe('degraded');
    const depth = await run(rmq({ maxDepth: 2 }));
    expect(depth.error).toMatchObject({ code: 'QUEUE_DEPTH' });
    expect(depth.error!.message).toContain('holds 3 messages, above the limit 2');
    const age = await run(rmq({ maxAge: '1m' }));
    expect(age.error).toMatchObject({ code: 'QUEUE_AGE' });
    expect(age.error!.message).toMatch(
      /^the oldest message in RabbitMQ queue "imports" is 2m old, above the limit 1m$/,
    );
  });

  it('an empty queue has depth 0 and age 0; an untimed message leaves the age unjudged', async () => {
    const empty = await run(rmq({ maxDepth: 0, maxAge: '1s' }, 'empty'));
    expect(empty.status).toBe('pass');
    expect(empty.details).toMatchObject({ depth: 0, ageSeconds: 0 });
    const untimed = await run(rmq({ maxAge: '1s' }, 'untimed'));
    expect(untimed.status).toBe('pass');
    expect(untimed.details!.ageUnknown).toMatch(/timestamp property/);
  });

  it('wrong password → AUTH, unknown queue → QUEUE_NOT_FOUND, nothing listening → CONNECT_REFUSED', async () => {
    const auth = await run(rmq({}, 'imports', { secret: 'rabbit-wrong' }));
    expect(auth.error).toMatchObject({ code: 'AUTH' });
    expect(JSON.stringify(auth)).not.toContain('not-the-password-x1');
    expect((await run(rmq({}, 'nope'))).error).toMatchObject({ code: 'QUEUE_NOT_FOUND' });
    const port = await closedPort();
    const refused = await run({
      rabbitmq: {
        url: `http://127.0.0.1:${port}`,
        queue: 'imports',
        auth: { username: 'monitor', password: { secret: 'rabbit-monitor' } },
      },
    });
    expect(refused.error).toMatchObject({ code: 'CONNECT_REFUSED' });
  });
});
