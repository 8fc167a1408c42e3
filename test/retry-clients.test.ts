/**
 * shared/retry.ts for callers that expect a throw (retryOrThrow, RetryError, delayFor) and
 * awsClient's `retry` option: a real SDK client against a capture endpoint on loopback.
 */
import { CloudWatchClient, ListAlarmMuteRulesCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClient } from '../shared/aws-clients';
import { describeError, retry, RetryError, retryOrThrow } from '../shared/retry';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';

const httpError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('retryOrThrow', () => {
  it('returns the value, rethrows a non-retryable error as it is, and wraps a last retryable one', async () => {
    expect(await retryOrThrow(async () => 7)).toBe(7);
    const denied = httpError('AccessDeniedException', 403);
    await expect(retryOrThrow(async () => Promise.reject(denied))).rejects.toBe(denied);
    const err = await retryOrThrow(async () => Promise.reject(httpError('ThrottlingException', 400)), {
      attempts: 2,
      baseMs: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect(describeError(err)).toBe('ThrottlingException: ThrottlingException (HTTP 400) (gave up after 2 attempts)');
    expect((err as RetryError).cause).toMatchObject({ name: 'ThrottlingException' });
  });

  it('waits what the last attempt asked for (delayFor) instead of the backoff', async () => {
    const waits: number[] = [];
    const out = await retry(async ({ attempt }) => ({ attempt }), {
      attempts: 3,
      baseMs: 10_000,
      again: (v) => v.attempt < 3,
      delayFor: () => 1,
      onRetry: ({ delayMs }) => waits.push(delayMs),
    });
    expect(out).toMatchObject({ ok: true, attempts: 3 });
    expect(waits).toEqual([1, 1]);
  });
});

describe('awsClient({ retry })', () => {
  let cw: AwsCapture;
  beforeAll(async () => {
    cw = await startAwsCapture();
  });
  afterAll(() => cw.close());

  it('retries each send with shared/retry.ts, one SDK attempt per try', async () => {
    const retry = { attempts: 3, baseMs: 1 };
    const client = awsClient(CloudWatchClient, { region: 'eu-central-1', endpoint: cw.endpoint, retry });
    Object.assign(client.config, { credentials: async () => ({ accessKeyId: 'fake', secretAccessKey: 'fake' }) });
    cw.respond('ListAlarmMuteRules', { AlarmMuteRuleSummaries: [] });
    cw.failNext(2, 'server-error');
    await client.send(new ListAlarmMuteRulesCommand({ AlarmName: 'a' }));
    expect(cw.calls('ListAlarmMuteRules')).toHaveLength(3);

    cw.reset();
    cw.failNext(Number.POSITIVE_INFINITY, 'server-error');
    const list = () => client.send(new ListAlarmMuteRulesCommand({ AlarmName: 'a' }));
    await expect(list()).rejects.toThrow(/gave up after 3 attempts/);
    expect(cw.calls('ListAlarmMuteRules')).toHaveLength(3);

    cw.reset();
    cw.failNext(1, 'invalid');
    await expect(list()).rejects.toMatchObject({ name: expect.stringMatching(/^InvalidParameterValue/) });
    expect(cw.calls('ListAlarmMuteRules')).toHaveLength(1);
  });
});
