/**
 * The builder Lambda's handler (functions/status-builder) on a cold start, as Lambda runs it: the
 * config from the bundle root, the table (the embedded store, seeded) and the bucket (a loopback
 * S3 endpoint) through AWS_ENDPOINT_URL_*. It writes the whole site once, then only what changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStore, startEmbeddedStore } from '../shared/store/embedded';
import { type S3Bucket, startS3Bucket } from './helpers/s3-bucket';
import { seedStatus } from './helpers/seed-status';

let embedded: EmbeddedStore;
let bucket: S3Bucket;
let root: string;
const saved = { ...process.env };

beforeAll(async () => {
  embedded = await startEmbeddedStore({ inMemory: true });
  // Data from a minute ago: the page is not stale.
  const seed = await seedStatus({
    client: embedded.client,
    tableName: embedded.tableName,
    store: embedded.store,
    now: new Date(Date.now() + 3600_000),
  });
  bucket = await startS3Bucket('shop-status');
  root = mkdtempSync(join(tmpdir(), 'watchpost-builder-'));
  writeFileSync(join(root, 'watchpost.config.json'), JSON.stringify(seed.config));
  Object.assign(process.env, {
    LAMBDA_TASK_ROOT: root,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: embedded.endpoint,
    AWS_ENDPOINT_URL_S3: bucket.endpoint,
    WATCHPOST_TABLE: embedded.tableName,
    WATCHPOST_STATUS_BUCKET: 'shop-status',
    WATCHPOST_STATUS_URL: 'https://status.shop.example/',
  });
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await bucket?.close();
  await embedded?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the status builder Lambda', () => {
  it('writes the site, then only the files that changed', async () => {
    const { handler } = await import('../functions/status-builder/index');
    expect(await handler()).toEqual({ written: 10, unchanged: 0, removed: 0 });
    const page = bucket.objects.get('index.html')!;
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.body.toString()).toContain('All systems operational');
    expect(bucket.objects.get('feed.xml')!.body.toString()).toContain('href="https://status.shop.example/feed.xml"');
    // The next run: only the page and its data carry the new build time.
    bucket.calls.length = 0;
    const again = await handler();
    expect(again.written).toBeLessThanOrEqual(2);
    expect(bucket.calls.filter((c) => c.startsWith('PUT ')).every((c) => /index\.html|status\.json/.test(c))).toBe(
      true,
    );
  });
});
