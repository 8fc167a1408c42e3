/**
 * The browser runner in CDK: only in regions with browser checks; x86_64 with the measured memory
 * and /tmp; a private, TLS-only artifacts bucket with a 30-day lifecycle; least privilege both
 * ways (the runner may invoke this one function, the browser runner may only put artifacts);
 * cdk-nag clean; and a real bundle that holds Chromium and Playwright.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BROWSER_RUNNER, compileScripts } from '../infra/browser-runner';
import { ProbeStack } from '../infra/probe-stack';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';

const ACCOUNT = '123456789012';
const config = (): ValidatedConfig =>
  parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'us-east-1'],
    checks: [
      { id: 'home', kind: 'http', url: 'https://shop.example.com/' },
      {
        id: 'cart-ui',
        kind: 'browser',
        regions: ['eu-central-1'],
        timeout: '45s',
        steps: [{ goto: 'https://shop.example.com/' }, { click: 'text=Add to cart' }, { expectText: 'Cart (1)' }],
      },
    ],
  });

function synth(region: string, opts: { bundle?: boolean; outdir?: string } = {}) {
  const app = new App({
    ...(opts.outdir && { outdir: opts.outdir }),
    context: { 'aws:cdk:bundling-stacks': opts.bundle ? ['**'] : [], 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new ProbeStack(app, `Probe-${region}`, { config: config(), env: { account: ACCOUNT, region } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const assembly = app.synth(); // throws on an unacknowledged cdk-nag finding
  return { stack, template: Template.fromStack(stack), assembly };
}
const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement,
  );

describe('browser runner (CDK)', () => {
  it('runs on x86_64 with the measured memory and /tmp, a timeout past the longest check', () => {
    const { template } = synth('eu-central-1');
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-browser',
      Architectures: ['x86_64'],
      MemorySize: BROWSER_RUNNER.memoryMb,
      EphemeralStorage: { Size: BROWSER_RUNNER.ephemeralMb },
      Timeout: 75,
      Environment: { Variables: Match.objectLike({ WATCHPOST_ARTIFACTS_BUCKET: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-runner',
      Environment: {
        Variables: Match.objectLike({
          WATCHPOST_BROWSER_FUNCTION: { Ref: Match.stringLikeRegexp('^BrowserRunnerFunction') },
          WATCHPOST_BROWSER_CONCURRENCY: '10',
        }),
      },
    });
  });

  it('keeps artifacts in a private, TLS-only bucket for 30 days', () => {
    const { template } = synth('eu-central-1');
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('grants least privilege: the runner invokes this one function; the browser runner only puts artifacts', () => {
    const { template, stack } = synth('eu-central-1');
    const all = statements(template) as Array<{ Action: string | string[]; Resource: unknown; Sid?: string }>;
    const invoke = all.filter(
      (s) => [s.Action].flat().includes('lambda:InvokeFunction') && JSON.stringify(s.Resource).includes('Browser'),
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BrowserRunnerFunction/), 'Arn'] });
    const put = all.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(put.map((s) => s.Action)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(stack.resolve(put[0]!.Resource))).toMatch(/BrowserRunnerArtifacts.*\/\*/);
    expect(all.some((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:') && s.Sid === undefined))).toBe(
      false,
    );
  });

  it('adds nothing to a region without browser checks', () => {
    const { template } = synth('us-east-1');
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('WATCHPOST_BROWSER_FUNCTION');
  });

  it('compiles journey scripts at synth under the path the config carries', () => {
    const script = join(__dirname, 'fixtures', 'browser', 'cart-journey.ts');
    const dir = compileScripts([
      { id: 'x', kind: 'browser', script } as never,
      { id: 'y', kind: 'browser', script } as never,
    ])!;
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))).toEqual({ [script]: '0.mjs' });
    expect(readFileSync(join(dir, '0.mjs'), 'utf8')).toContain('the cart shows the wrong total');
    expect(compileScripts([{ id: 'z', kind: 'browser' } as never])).toBeUndefined();
  });

  it('ships Chromium and Playwright in the asset (nothing downloaded at deploy or run)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'wp-browser-synth-'));
    try {
      const { stack, assembly } = synth('eu-central-1', { bundle: true, outdir });
      const fn = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
        Properties: { FunctionName: 'shop-watchpost-browser' },
      });
      const assetPath = (Object.values(fn)[0] as { Metadata: Record<string, string> }).Metadata['aws:asset:path']!;
      const dir = join(assembly.directory, assetPath);
      expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
      expect(statSync(join(dir, 'chromium', 'chromium.br')).size).toBeGreaterThan(30_000_000);
      expect(existsSync(join(dir, 'chromium', 'fonts.tar.br'))).toBe(true);
      expect(existsSync(join(dir, 'node_modules', 'playwright-core', 'package.json'))).toBe(true);
      expect(readdirSync(join(dir, 'chromium'))).not.toContain('swiftshader.tar.br');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 180_000);
});
