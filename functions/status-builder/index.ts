/**
 * The status builder Lambda: every minute (EventBridge schedule) and on every state change of the
 * project's alarms, it builds the StatusModel from the table (rollups, incidents, latest states),
 * renders the site and writes the files that changed into the bucket CloudFront serves. It reads
 * nothing the runner serves live: when the runner or the monitored services are down the page
 * still builds and says since when its data is stale.
 *
 * Bundle root: `index.mjs`, `watchpost.config.json`, and `assets/` (the page's templates and
 * uPlot). Environment: see `STATUS_ENV`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { AWS_CALL_RETRY, awsClient } from '../../shared/aws-clients';
import { buildSiteFiles } from '../../shared/status/site/build';
import { STATUS_ENV } from '../../shared/status/site/lambda-env';
import { writeSiteToS3, type WriteSummary } from '../../shared/status/site/write';
import { bootstrap } from '../lib/bootstrap';

interface Deps {
  run(): Promise<WriteSummary>;
}

/** Cold start (functions/lib/bootstrap.ts), then the clients, kept for the container's life. */
export function init(): Deps {
  const boot = bootstrap({ service: 'watchpost-status-builder', env: [STATUS_ENV.table, STATUS_ENV.bucket] });
  const { config, env, log } = boot;
  const region = boot.homeRegion;
  const client = awsClient(DynamoDBClient, { region, retry: AWS_CALL_RETRY });
  const s3 = awsClient(S3Client, { region, retry: AWS_CALL_RETRY });
  const siteUrl = process.env[STATUS_ENV.siteUrl] || undefined;
  return {
    async run() {
      const { files, model } = await buildSiteFiles({ config, client, tableName: env[STATUS_ENV.table], siteUrl });
      const summary = await writeSiteToS3(s3, env[STATUS_ENV.bucket], files);
      log.info('status page built', {
        overall: model.overall,
        dataAsOf: model.dataAsOf,
        stale: model.stale,
        written: summary.written,
        unchanged: summary.unchanged,
        removed: summary.removed.length,
      });
      return summary;
    },
  };
}

let deps: Deps | undefined;
/** Any event (schedule or alarm change) means the same: rebuild now. */
export const handler = async (): Promise<{ written: number; unchanged: number; removed: number }> => {
  const s = await (deps ??= init()).run();
  return { written: s.written.length, unchanged: s.unchanged, removed: s.removed.length };
};
