/**
 * The one Lambda cold start (functions/lib/bootstrap.ts): required environment named at once,
 * one config path rule, the config validated, and secrets from a Secrets Manager capture endpoint
 * on loopback: cached for the maximum age, reads in flight shared, failures not cached, every
 * value learned by the redaction step. Time is moved with a fake Date only (no timing assertions).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrap, configPath, requireEnv, SECRET_MAX_AGE_SECONDS, secretsManager } from '../functions/lib/bootstrap';
import { redactText } from '../shared/redact';
import { SecretError } from '../shared/secrets';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';

let sm: AwsCapture;
const saved = { ...process.env };

beforeAll(async () => {
  sm = await startAwsCapture();
  Object.assign(process.env, {
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
  });
});

afterAll(async () => {
  process.env = saved;
  await sm.close();
});

afterEach(() => {
  vi.useRealTimers();
  sm.reset();
});

describe('environment and config', () => {
  it('names every missing variable in one error', () => {
    delete process.env.WP_TEST_A;
    delete process.env.WP_TEST_B;
    expect(() => requireEnv(['WP_TEST_A', 'WP_TEST_B'], 'watchpost-x')).toThrow(
      'watchpost-x: environment variables WP_TEST_A, WP_TEST_B not set (the CDK app sets them)',
    );
    process.env.WP_TEST_A = 'a';
    expect(() => requireEnv(['WP_TEST_A'], 'watchpost-x')).not.toThrow();
  });

  it('reads the config from the bundle root, under the bundled name unless told otherwise', () => {
    expect(configPath({ LAMBDA_TASK_ROOT: '/var/task' })).toBe('/var/task/watchpost.config.json');
    expect(configPath({ LAMBDA_TASK_ROOT: '/var/task', WATCHPOST_CONFIG_FILE: 'c.json' })).toBe('/var/task/c.json');
    expect(configPath({ LAMBDA_TASK_ROOT: '/var/task', WATCHPOST_CONFIG_FILE: '/tmp/c.json' })).toBe('/tmp/c.json');
  });

  it('validates the config for every function (an invalid one is a clear error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-boot-'));
    const file = join(dir, 'watchpost.config.json');
    const base = { project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
    writeFileSync(file, JSON.stringify({ ...base, checks: [{ id: 'a', kind: 'http' }] }));
    process.env.WATCHPOST_CONFIG_FILE = file;
    expect(() => bootstrap({ service: 'watchpost-test', env: [] })).toThrow(/invalid config/);
    const url = 'https://shop.example.com/';
    writeFileSync(file, JSON.stringify({ ...base, checks: [{ id: 'a', kind: 'http', url }] }));
    const boot = bootstrap({ service: 'watchpost-test', env: [] });
    expect(boot.config.checks[0]).toMatchObject({ id: 'a', enabled: true });
    expect(boot).toMatchObject({ region: 'eu-central-1', homeRegion: 'eu-central-1' });
  });
});

describe('secrets', () => {
  it(`keeps a value ${SECRET_MAX_AGE_SECONDS} s, shares reads in flight, and teaches the redaction step`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    sm.respond('GetSecretValue', { Name: 'shop/key', SecretString: 'k3y-value-one' });
    const read = secretsManager('eu-central-1');
    expect(await Promise.all([read('shop/key'), read('shop/key')])).toEqual(['k3y-value-one', 'k3y-value-one']);
    expect(sm.calls('GetSecretValue')).toHaveLength(1);
    expect(redactText('token k3y-value-one')).toBe('token ***');

    vi.setSystemTime(Date.now() + (SECRET_MAX_AGE_SECONDS - 1) * 1000);
    await read('shop/key');
    expect(sm.calls('GetSecretValue')).toHaveLength(1);

    // Rotated: picked up once the maximum age has passed.
    sm.respond('GetSecretValue', { Name: 'shop/key', SecretString: 'k3y-value-two' });
    vi.setSystemTime(Date.now() + 2_000);
    expect(await read('shop/key')).toBe('k3y-value-two');
    expect(sm.calls('GetSecretValue')).toHaveLength(2);
  });

  it('retries throttling through shared/retry.ts, and does not cache a failure', async () => {
    sm.respond('GetSecretValue', { Name: 'shop/other', SecretString: 'other-value' });
    const read = secretsManager('eu-central-1');
    sm.failNext(2, 'throttle');
    expect(await read('shop/other')).toBe('other-value');
    expect(sm.calls('GetSecretValue')).toHaveLength(3);

    sm.reset();
    sm.respond('GetSecretValue', { Name: 'shop/third', SecretString: 'third-value' });
    sm.failNext(1, 'invalid');
    const err = await read('shop/third').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as Error).message).toMatch(
      /cannot read secret "shop\/third" from Secrets Manager in eu-central-1: .*injected/,
    );
    expect(sm.calls('GetSecretValue')).toHaveLength(1); // not retryable: one call
    expect(await read('shop/third')).toBe('third-value');
  });

  it('says so when a secret has no string value', async () => {
    sm.respond('GetSecretValue', { Name: 'shop/empty', SecretString: '' });
    const read = secretsManager('eu-central-1');
    await expect(read('shop/empty')).rejects.toThrow('secret "shop/empty" has no string value');
  });
});
