/**
 * The hosted status page (infra/status-stack.ts): only with `statusPage`; a private bucket (public
 * access blocked, TLS only, S3-managed encryption) read by CloudFront through origin access
 * control alone; HTTPS only (TLS 1.2 with a custom domain, whose certificate must be in
 * us-east-1); a builder Lambda on a one-minute schedule and on the project's alarm changes, that
 * may read only rollup, incident and latest-state items and write only that bucket; cdk-nag clean
 * (synth throws on any unacknowledged finding).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import { STATUS_READ_PREFIXES } from '../infra/status-stack';
import { buildWatchpost } from '../infra/watchpost-app';

const ACCOUNT = '123456789012';

function config(statusPage?: Record<string, unknown>) {
  return parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'us-east-1'],
    checks: [
      { id: 'shop-home', kind: 'http', url: 'https://shop.example.com/' },
      { id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' },
    ],
    ...(statusPage ? { statusPage } : {}),
  });
}

const PAGE = {
  title: 'Shop status',
  components: [
    { name: 'Website', checks: ['shop-home'] },
    { name: 'Checkout', checks: ['shop-cart'] },
  ],
};

function synth(statusPage?: Record<string, unknown>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildWatchpost(app, config(statusPage), { account: ACCOUNT });
  // Synthesizing runs cdk-nag: an unacknowledged finding throws here.
  app.synth();
  return stacks;
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

describe('status page hosting', () => {
  it('is not deployed without statusPage', () => {
    expect(synth().status).toBeUndefined();
  });

  const stacks = synth(PAGE);
  const t = Template.fromStack(stacks.status!);

  it('keeps the bucket private: public access blocked, TLS only, S3-managed encryption', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy'))[0]!.Properties.PolicyDocument;
    const statements = policy.Statement as (Statement & { Principal: any })[];
    // Insecure transport and old TLS are denied to everyone.
    expect(statements.filter((s) => s.Effect === 'Deny').map((s) => s.Condition)).toEqual(
      expect.arrayContaining([
        { Bool: { 'aws:SecureTransport': 'false' } },
        { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      ]),
    );
    // The only reader is CloudFront, for this one distribution (origin access control).
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(allows[0]!.Action).toBe('s3:GetObject');
    expect(JSON.stringify(allows[0]!.Condition)).toContain('AWS:SourceArn');
    expect(JSON.stringify(allows)).not.toContain('"*"');
  });

  it('serves it through CloudFront with origin access control, HTTPS only', () => {
    t.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          Compress: true,
        }),
        Origins: [
          Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } }),
        ],
      }),
    });
    // Caching follows the files' own Cache-Control; security headers, and a policy allowing only the site itself.
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 30, MinTTL: 0 }),
    });
    t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("default-src 'none'"),
            Override: true,
          },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000 }),
        }),
      }),
    });
    const outputs = t.findOutputs('StatusPageUrl');
    expect(JSON.stringify(Object.values(outputs)[0]!.Value)).toContain('DomainName');
  });

  it('gives the builder only what it uses: status items of the table, the objects of its bucket', () => {
    const fn = Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'shop-watchpost-status-builder' } }),
    )[0]!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const onRole = (r: any) => (r.Properties.Roles ?? []).some((x: any) => x.Ref === roleId);
    const statements: Statement[] = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter(onRole)
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:DeleteObject',
        's3:ListBucket',
        's3:PutObject',
      ].sort(),
    );
    const read = statements.find((s) => s.Sid === 'ReadStatusItems')!;
    expect(read.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': STATUS_READ_PREFIXES } });
    expect(STATUS_READ_PREFIXES).toEqual(['ROLLUP#*', 'INCIDENT', 'INCIDENT#*', 'LATEST#*']);
    expect(JSON.stringify(read.Resource)).toContain(':table/shop-watchpost-results');
    const write = statements.find((s) => s.Sid === 'WriteSite')!;
    expect(JSON.stringify(write.Resource)).toMatch(/"Site[0-9A-F]+","Arn"\]\},"\/\*"/);
    // No statement reaches beyond named resources.
    for (const s of statements) expect(s.Resource, s.Sid).not.toBe('*');
  });

  it('rebuilds every minute and on every state change of the project alarms', () => {
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'shop ' }] },
      },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-status-builder',
      Environment: { Variables: Match.objectLike({ WATCHPOST_TABLE: 'shop-watchpost-results' }) },
    });
  });

  it('uses a custom domain with TLS 1.2 and its us-east-1 certificate', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';
    const custom = Template.fromStack(
      synth({ ...PAGE, domain: { name: 'status.shop.example', certificateArn: arn } }).status!,
    );
    custom.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['status.shop.example'],
        ViewerCertificate: {
          AcmCertificateArn: arn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
      }),
    });
    expect(Object.values(custom.findOutputs('StatusPageUrl'))[0]!.Value).toBe('https://status.shop.example/');
  });

  it('refuses a certificate outside us-east-1 at synth, naming the field and the fix', () => {
    const arn = 'arn:aws:acm:eu-central-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';
    expect(() => synth({ ...PAGE, domain: { name: 'status.shop.example', certificateArn: arn } })).toThrow(
      /statusPage\.domain\.certificateArn: .*us-east-1.* — hint: .*us-east-1/,
    );
    expect(() => synth({ ...PAGE, domain: { name: 'status.shop.example', certificateArn: 'my-cert' } })).toThrow(
      /statusPage\.domain\.certificateArn: expected an ACM certificate ARN/,
    );
  });
});
