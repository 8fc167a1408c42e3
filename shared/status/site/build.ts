/**
 * The one builder: the StatusModel from the table (shared/status/model.ts), rendered to the
 * site's files. `watchpost status build`, `watchpost dev`'s /status and the builder Lambda all
 * call this, so the local page and the hosted one are the same page.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ValidatedConfig } from '../../config/types';
import { buildStatusModel } from '../model';
import { renderSite } from './render';
import type { SiteFile, StatusModel } from './types';

export interface BuildSiteOptions {
  config: ValidatedConfig;
  client: DynamoDBClient;
  tableName: string;
  /** @default the current time */
  now?: Date;
  /** The page's public address, for the feed's links. @default none */
  siteUrl?: string;
}

export interface BuiltSite {
  model: StatusModel;
  files: SiteFile[];
}

export async function buildSiteFiles(opts: BuildSiteOptions): Promise<BuiltSite> {
  const model = await buildStatusModel({
    config: opts.config,
    client: opts.client,
    tableName: opts.tableName,
    now: opts.now,
  });
  return { model, files: renderSite(model, { siteUrl: opts.siteUrl }) };
}
