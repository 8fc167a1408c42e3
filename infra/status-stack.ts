/**
 * `<project>-watchpost-status` (home region, only when the config has `statusPage`): the public
 * status page as static files. A private S3 bucket (public access blocked, TLS only, S3-managed
 * encryption) behind CloudFront with origin access control, HTTPS only, short cache times for
 * pages and long ones for content-hashed assets, served stale when the bucket cannot answer; an
 * optional custom domain. A builder Lambda (functions/status-builder) rewrites the changed files
 * every minute and on every state change of the project's alarms. Nothing here depends on the
 * runner or the monitored services: when they are down the page stays up and says since when
 * its data is stale.
 *
 * Least privilege: the builder may Query/GetItem only the table's `ROLLUP#…`, `INCIDENT…` and
 * `LATEST#…` items, list the bucket and put/delete its objects; nothing else.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ValidatedConfig } from '../shared/config/types';
import { STATUS_CSP, STATUS_ENV } from '../shared/status/site/lambda-env';
import { tableName } from '../shared/store/table';
import type { BundleFile } from './bundling';
import { lambdaEntry } from './lambdas';
import { alarmNamePrefix } from './notifier';
import { WatchpostFunction } from './watchpost-function';

export const STATUS_BUILDER_ENTRY = lambdaEntry('status-builder');
export const statusBuilderFunctionName = (project: string) => `${project}-watchpost-status-builder`;

/** Items the builder reads: daily rollups, incidents (record, open marker, id pointer), latest state. */
export const STATUS_READ_PREFIXES = ['ROLLUP#*', 'INCIDENT', 'INCIDENT#*', 'LATEST#*'];

// Beside the module in a checkout and in the installed package alike (the build copies them).
const ASSET_DIR = fileURLToPath(new URL('../shared/status/site/assets/', import.meta.url));
const UPLOT_DIST = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
/** The page's templates and the bundled uPlot, into the bundle's assets/ (shared/status/site/render.ts). */
const SITE_FILES: BundleFile[] = [
  ...['index.html', 'status.css', 'components.css', 'status.js', 'favicon.svg'].map((f) => ({
    from: join(ASSET_DIR, f),
    to: join('assets', f),
  })),
  ...['uPlot.iife.min.js', 'uPlot.min.css'].map((f) => ({
    from: join(UPLOT_DIST, f),
    to: join('assets', f),
  })),
];

export interface StatusStackProps extends StackProps {
  config: ValidatedConfig;
  /** The builder's triggers run (context `alarmActions=off` leaves them disabled). @default true */
  enabled?: boolean;
}

export class StatusStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly builder: WatchpostFunction;
  readonly role: iam.Role;
  /** The page's address: the custom domain, else the CloudFront one. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: StatusStackProps) {
    super(scope, id, props);
    const { config } = props;
    const page = config.statusPage;
    if (!page) throw new Error('StatusStack needs config.statusPage');

    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Everything in it is rebuilt within a minute: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the public status page, rebuilt every minute by one Lambda; ' +
        'readers reach it through CloudFront only (OAC).',
    });

    // Pages say how long they keep (Cache-Control from the builder); CloudFront follows them.
    const cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      cachePolicyName: `${config.project}-watchpost-status`,
      comment: 'watchpost status page: honour the Cache-Control the builder sets',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(30),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: `${config.project}-watchpost-status`,
      comment: 'watchpost status page: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: STATUS_CSP, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    const certificate = page.domain
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', page.domain.certificateArn)
      : undefined;
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: `watchpost ${config.project}: status page`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessLevels: [cloudfront.AccessLevel.READ],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        compress: true,
        cachePolicy,
        responseHeadersPolicy: headers,
      },
      // TLS 1.2 and newer; CloudFront can enforce it only with a certificate of ours (see CFR4 below).
      ...(page.domain
        ? {
            domainNames: [page.domain.name],
            certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    const nag: { id: string; reason: string }[] = [
      { id: 'AwsSolutions-CFR1', reason: 'A public status page is for readers in every country.' },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'Static files only, cached at the edge: no forms, no origin logic for a WAF to guard.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Access logs of a public status page would only cost money; CloudFront metrics show its traffic.',
      },
    ];
    if (!page.domain)
      nag.push({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without statusPage.domain CloudFront serves its default *.cloudfront.net certificate, whose TLS ' +
          'floor it sets; with a custom domain the distribution requires TLS 1.2 (TLSv1.2_2021).',
      });
    Validations.of(this.distribution).acknowledge(...nag);
    this.url = `https://${page.domain?.name ?? this.distribution.distributionDomainName}/`;

    this.role = new iam.Role(this, 'BuilderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost status builder of ${config.project}: reads rollups and incidents, writes the page`,
    });
    const table = dynamodb.TableV2.fromTableName(this, 'Results', tableName(config.project));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadStatusItems',
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': STATUS_READ_PREFIXES } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ListSite', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    // The objects of one bucket: a wildcard over keys, in a policy of its own so the acknowledgement covers it alone.
    const writeSite = new iam.Policy(this, 'WriteSitePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteSite',
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [this.bucket.arnForObjects('*')],
        }),
      ],
    });
    Validations.of(writeSite).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: "The builder writes the status page's files (any name: badges per component) into its own bucket only.",
    });

    const name = statusBuilderFunctionName(config.project);
    this.builder = new WatchpostFunction(this, 'Builder', {
      config,
      entry: STATUS_BUILDER_ENTRY,
      functionName: name,
      description: `watchpost status builder of ${config.project}: rebuilds the status page from the table`,
      role: this.role,
      memorySize: 512,
      timeoutSeconds: 50,
      environment: {
        [STATUS_ENV.table]: tableName(config.project),
        [STATUS_ENV.bucket]: this.bucket.bucketName,
        [STATUS_ENV.siteUrl]: this.url,
      },
      files: SITE_FILES,
      // The next minute's build replaces a failed one: no retries piling up behind it.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(2),
    });
    this.builder.node.addDependency(writeSite);

    const target = new targets.LambdaFunction(this.builder, { retryAttempts: 0, maxEventAge: Duration.minutes(2) });
    new events.Rule(this, 'EveryMinute', {
      ruleName: `${config.project}-watchpost-status-every-minute`,
      description: `Rebuilds the ${config.project} status page every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      enabled: props.enabled ?? true,
      targets: [target],
    });
    new events.Rule(this, 'AlarmStateChanges', {
      ruleName: `${config.project}-watchpost-status-on-alarm`,
      description: `Rebuilds the ${config.project} status page when one of its alarms changes state`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: alarmNamePrefix(config.project) }] },
      },
      targets: [target],
    });

    new CfnOutput(this, 'StatusPageUrl', { value: this.url, description: 'The public status page' });
    new CfnOutput(this, 'StatusBucket', {
      value: this.bucket.bucketName,
      description: 'Bucket the page is served from',
    });
  }
}
