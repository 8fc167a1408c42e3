/**
 * Writing a built site: only files whose bytes changed are written (content hash), pages last so
 * a page never names an asset that is not there yet, and files of an older build that no longer
 * exist are removed (old content-hashed assets only after a day: a browser may still hold the
 * page that names them). To a folder (`watchpost status build`) or to the S3 bucket CloudFront
 * serves (the builder Lambda).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { sha256 } from './render';
import type { SiteFile } from './types';

export interface WriteSummary {
  written: string[];
  unchanged: number;
  removed: string[];
}

/** Assets first, the page last: readers never get a page whose assets are missing. */
export function writeOrder(files: SiteFile[]): SiteFile[] {
  const rank = (p: string) => (p.startsWith('assets/') ? 0 : p === 'index.html' ? 2 : 1);
  return [...files].sort((a, b) => rank(a.path) - rank(b.path));
}

/** Old hashed assets stay this long after a build stops naming them. */
export const ASSET_GRACE_MS = 24 * 3600_000;

/** The list of files a folder build wrote, so the next build removes only its own leftovers. */
export const MANIFEST = '.watchpost-site.json';

/** Writes the site into `dir` (created if missing). Files not written by watchpost are left alone. */
export async function writeSiteToDir(dir: string, files: SiteFile[]): Promise<WriteSummary> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const summary: WriteSummary = { written: [], unchanged: 0, removed: [] };
  for (const f of writeOrder(files)) {
    const target = join(root, f.path);
    // Paths come from our own renderer; this guards against a bug writing outside the folder.
    if (relative(root, target).startsWith(`..${sep}`)) throw new Error(`status site: path outside ${dir}: ${f.path}`);
    const old = await readFile(target).catch(() => undefined);
    if (old && sha256(old) === sha256(f.body)) {
      summary.unchanged++;
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.body);
    summary.written.push(f.path);
  }
  const manifestPath = join(root, MANIFEST);
  const before = await readFile(manifestPath, 'utf8')
    .then((t) => JSON.parse(t) as { files?: string[] })
    .catch(() => ({ files: [] as string[] }));
  const now = new Set(files.map((f) => f.path));
  for (const p of before.files ?? []) {
    if (now.has(p) || typeof p !== 'string' || p.includes('..')) continue;
    await rm(join(root, p), { force: true });
    summary.removed.push(p);
  }
  await writeFile(manifestPath, `${JSON.stringify({ files: [...now].sort() }, null, 2)}\n`);
  return summary;
}

/** S3's ETag of a single-part upload with S3-managed encryption: the MD5 of the bytes, quoted. */
const etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

async function listAll(s3: S3Client, bucket: string): Promise<_Object[]> {
  const out: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    out.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Writes the site into a bucket that holds only the site: one listing, then a PutObject per
 * changed file (with its Content-Type and Cache-Control), then one DeleteObjects for leftovers.
 */
export async function writeSiteToS3(
  s3: S3Client,
  bucket: string,
  files: SiteFile[],
  now = Date.now(),
): Promise<WriteSummary> {
  const existing = new Map((await listAll(s3, bucket)).map((o) => [o.Key!, o]));
  const summary: WriteSummary = { written: [], unchanged: 0, removed: [] };
  for (const f of writeOrder(files)) {
    if (existing.get(f.path)?.ETag === etag(f.body)) {
      summary.unchanged++;
      continue;
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: f.path,
        Body: f.body,
        ContentType: f.contentType,
        CacheControl: f.cacheControl,
      }),
    );
    summary.written.push(f.path);
  }
  const wanted = new Set(files.map((f) => f.path));
  const gone = [...existing.values()].filter((o) => {
    if (wanted.has(o.Key!)) return false;
    if (!o.Key!.startsWith('assets/')) return true;
    return now - (o.LastModified?.getTime() ?? now) > ASSET_GRACE_MS;
  });
  for (let i = 0; i < gone.length; i += 1000) {
    const batch = gone.slice(i, i + 1000).map((o) => ({ Key: o.Key! }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    summary.removed.push(...batch.map((b) => b.Key));
  }
  return summary;
}
