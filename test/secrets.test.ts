/** Secret references: names, resolution, and redaction from everything that leaves a probe. */
import { describe, expect, it } from 'vitest';
import { envSecrets, redact, resolveSecrets, secretEnvName, secretNames } from '../shared/secrets';

describe('secrets', () => {
  it.each([
    ['api-token', 'WATCHPOST_SECRET_API_TOKEN'],
    ['shop/api.key', 'WATCHPOST_SECRET_SHOP_API_KEY'],
    ['Mixed_Case9', 'WATCHPOST_SECRET_MIXED_CASE9'],
  ])('reads %s from %s locally', async (name, env) => {
    expect(secretEnvName(name)).toBe(env);
    process.env[env] = 'value-1';
    await expect(envSecrets(name)).resolves.toBe('value-1');
    delete process.env[env];
    await expect(envSecrets(name)).rejects.toThrow(`secret "${name}" is not set — hint: export ${env}=…`);
  });

  it('finds every reference and resolves a deep copy, leaving the original alone', async () => {
    const check = {
      headers: { a: { secret: 'one' }, b: 'plain' },
      steps: [{ request: { headers: { c: { secret: 'two' } } } }],
    };
    expect([...secretNames(check)].sort()).toEqual(['one', 'two']);
    const found = new Set<string>();
    const resolved = await resolveSecrets(check, async (n) => `v-${n}`, found);
    expect(resolved).toEqual({
      headers: { a: 'v-one', b: 'plain' },
      steps: [{ request: { headers: { c: 'v-two' } } }],
    });
    expect(check.headers.a).toEqual({ secret: 'one' });
    expect([...found].sort()).toEqual(['v-one', 'v-two']);
  });

  it('scrubs whole values everywhere, and a value clipped in the middle of a secret', () => {
    const secrets = new Set(['s3cr3t-token-123']);
    const result = {
      error: { message: 'upstream said: bad token s3cr3t-token-123 (twice: s3cr3t-token-123)' },
      assertions: [{ actual: `${'x'.repeat(250)}s3cr3t-tok…` }],
      nested: [['s3cr3t-token-123']],
    };
    const clean = redact(result, secrets);
    expect(JSON.stringify(clean)).not.toContain('s3cr3t');
    expect(clean.error.message).toBe('upstream said: bad token *** (twice: ***)');
    expect(clean.assertions[0]!.actual).toBe(`${'x'.repeat(250)}***…`);
  });
});
