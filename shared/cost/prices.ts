/**
 * The dated AWS list prices `watchpost cost` (and `cdk synth`'s one-line estimate, and the deploy
 * guide's cost section) compute with. USD, on-demand, before free tiers, per commercial region.
 *
 * Source: the public AWS pricing pages (aws.amazon.com/lambda/pricing, /dynamodb/pricing/on-demand,
 * /cloudwatch/pricing, /secrets-manager/pricing, /kms/pricing, /sns/pricing,
 * /eventbridge/pricing#Scheduler, /ec2/pricing/on-demand#Data_Transfer) as of {@link PRICES_AS_OF},
 * rounded to 4 significant digits. Only the prices that vary by region are listed per region;
 * the others are the same in every commercial region. Re-check them in the AWS Pricing
 * Calculator for a budget: AWS changes prices, and a bill is what counts.
 */

/** The date the figures below were read. */
export const PRICES_AS_OF = '2026-11-01';

/** Prices that differ by region. */
export interface RegionalPrices {
  /** DynamoDB on-demand, Standard table class: per million write request units. */
  dynamoWriteMillion: number;
  /** Per million read request units (a strongly consistent read of ≤ 4 KB is one). */
  dynamoReadMillion: number;
  /** Per GB-month stored. */
  dynamoStorageGbMonth: number;
  /** Point-in-time recovery (continuous backups), per GB-month. */
  dynamoPitrGbMonth: number;
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestGb: number;
  /** CloudWatch Logs storage, per GB-month. */
  logsStoreGbMonth: number;
  /** Lambda, arm64, per GB-second. */
  lambdaGbSecond: number;
  /** Lambda, per million requests. */
  lambdaRequestsMillion: number;
}

/** Prices that are the same in every commercial region. */
export const GLOBAL_PRICES = {
  /** CloudWatch custom metric, per metric-month (first 10,000; prorated by the hour it receives data). */
  metricMonth: 0.3,
  /** CloudWatch standard-resolution alarm, per metric it reads, per month. */
  alarmMetricMonth: 0.1,
  /** An anomaly detection alarm reads 3 metrics (the metric and the band's two). */
  anomalyAlarmMonth: 0.3,
  /** PutMetricData, per 1,000 requests. */
  putMetricDataThousand: 0.01,
  /** CloudWatch dashboards beyond the first 3 (free), per dashboard-month. */
  dashboardMonth: 3,
  freeDashboards: 3,
  /** Secrets Manager, per secret-month and per 10,000 API calls. */
  secretMonth: 0.4,
  secretCallsTenThousand: 0.05,
  /** KMS customer managed key, per month (AWS managed keys such as `alias/aws/sns`: free). */
  kmsKeyMonth: 1,
  /** EventBridge Scheduler, per million invocations after 14 million free a month. */
  schedulerMillion: 1,
  schedulerFreeMillions: 14,
  /** Data transfer between AWS regions, per GB sent (a probe region writing to the home region). */
  interRegionGb: 0.02,
} as const;

/** Prices of one region: the regional ones and the global ones. */
export type Prices = RegionalPrices & typeof GLOBAL_PRICES;

type Row = [write: number, read: number, storage: number, logsIngest: number, logsStore: number];

/** Lambda arm64 is USD 0.0000133334 per GB-s and 0.20 per million requests except where noted. */
const LAMBDA = { lambdaGbSecond: 0.0000133334, lambdaRequestsMillion: 0.2 };
const LAMBDA_HIGHER = { lambdaGbSecond: 0.0000176, lambdaRequestsMillion: 0.28 };
const HIGHER_LAMBDA = new Set(['af-south-1', 'ap-east-1', 'me-south-1', 'me-central-1', 'eu-south-1', 'il-central-1']);

/** [DynamoDB WRU/million, RRU/million, storage GB-month, Logs ingest GB, Logs storage GB-month]. */
const ROWS: Record<string, Row> = {
  'us-east-1': [0.625, 0.125, 0.25, 0.5, 0.03],
  'us-east-2': [0.625, 0.125, 0.25, 0.5, 0.03],
  'us-west-1': [0.6975, 0.1395, 0.28, 0.5, 0.03],
  'us-west-2': [0.625, 0.125, 0.25, 0.5, 0.03],
  'ca-central-1': [0.6875, 0.1375, 0.275, 0.55, 0.033],
  'ca-west-1': [0.6875, 0.1375, 0.275, 0.55, 0.033],
  'mx-central-1': [0.7438, 0.1488, 0.2975, 0.595, 0.0357],
  'sa-east-1': [0.9375, 0.1875, 0.375, 0.9, 0.0405],
  'eu-west-1': [0.7069, 0.1413, 0.283, 0.57, 0.03],
  'eu-west-2': [0.7425, 0.1485, 0.29, 0.5985, 0.0315],
  'eu-west-3': [0.7425, 0.1485, 0.29, 0.5985, 0.0315],
  'eu-central-1': [0.7625, 0.1525, 0.306, 0.63, 0.0324],
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: 0.693 is a price in USD, not ln 2
  'eu-central-2': [0.8388, 0.1678, 0.3366, 0.693, 0.0356],
  'eu-north-1': [0.6688, 0.1338, 0.2678, 0.535, 0.0321],
  'eu-south-1': [0.7425, 0.1485, 0.297, 0.5985, 0.0315],
  'eu-south-2': [0.7425, 0.1485, 0.297, 0.5985, 0.0315],
  'il-central-1': [0.8138, 0.1628, 0.3256, 0.6545, 0.0344],
  'me-south-1': [0.7788, 0.1558, 0.3113, 0.627, 0.033],
  'me-central-1': [0.7788, 0.1558, 0.3113, 0.627, 0.033],
  'af-south-1': [0.8138, 0.1628, 0.3256, 0.6545, 0.0344],
  'ap-east-1': [0.7838, 0.1568, 0.3135, 0.77, 0.033],
  'ap-south-1': [0.7125, 0.1425, 0.285, 0.5, 0.03],
  'ap-south-2': [0.7125, 0.1425, 0.285, 0.5, 0.03],
  'ap-northeast-1': [0.7125, 0.1425, 0.285, 0.76, 0.033],
  'ap-northeast-2': [0.6769, 0.1354, 0.2707, 0.7, 0.0324],
  'ap-northeast-3': [0.7125, 0.1425, 0.285, 0.76, 0.033],
  'ap-southeast-1': [0.7125, 0.1425, 0.285, 0.7, 0.033],
  'ap-southeast-2': [0.7125, 0.1425, 0.285, 0.7, 0.033],
  'ap-southeast-3': [0.7125, 0.1425, 0.285, 0.7, 0.033],
  'ap-southeast-4': [0.7838, 0.1568, 0.3135, 0.77, 0.0363],
  'ap-southeast-5': [0.6413, 0.1283, 0.2565, 0.63, 0.0297],
  'ap-southeast-7': [0.6413, 0.1283, 0.2565, 0.63, 0.0297],
};

/** Every region the price table covers, i.e. every commercial region watchpost supports. */
export const PRICED_REGIONS: readonly string[] = Object.keys(ROWS);

/** A region the price table does not cover (GovCloud, China, ISO, or one newer than the table). */
export class PriceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceError';
  }
}

/** The prices of `region`; a region without prices is an error that names it. */
export function pricesFor(region: string): Prices {
  const row = ROWS[region];
  if (!row)
    throw new PriceError(
      `no list prices for region "${region}" in shared/cost/prices.ts (prices as of ${PRICES_AS_OF}; ` +
        `priced: ${PRICED_REGIONS.join(', ')}) — hint: add its row from the AWS pricing pages`,
    );
  const [w, r, storage, ingest, store] = row;
  return {
    dynamoWriteMillion: w,
    dynamoReadMillion: r,
    dynamoStorageGbMonth: storage,
    // PITR is priced at 0.8 × storage everywhere (us-east-1: 0.20 vs 0.25).
    dynamoPitrGbMonth: Math.round(storage * 0.8 * 10_000) / 10_000,
    logsIngestGb: ingest,
    logsStoreGbMonth: store,
    ...(HIGHER_LAMBDA.has(region) ? LAMBDA_HIGHER : LAMBDA),
    ...GLOBAL_PRICES,
  };
}
