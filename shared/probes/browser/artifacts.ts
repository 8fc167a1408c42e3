/**
 * A failed run's screenshot and Playwright trace: kept locally under `.watchpost/artifacts/`
 * (or `WATCHPOST_ARTIFACTS_DIR`), in AWS in the region's artifacts bucket
 * (`WATCHPOST_ARTIFACTS_BUCKET`, 30-day lifecycle), and named in the result's details.
 *
 * Nothing secret is kept: every filled field is masked in screenshots, traces are recorded
 * without screencast frames (a frame would show a typed password), and every text file inside
 * the trace zip passes the same redaction as every other output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { AWS_CALL_RETRY, awsClient } from '../../aws-clients';
import { redactText } from '../../redact';

export const ARTIFACTS_DIR_ENV = 'WATCHPOST_ARTIFACTS_DIR';
export const ARTIFACTS_BUCKET_ENV = 'WATCHPOST_ARTIFACTS_BUCKET';

/** One kept file, as the result's details name it. */
export interface Artifact {
  name: string;
  /** A local path, or an S3 console link for engineers. */
  location: string;
}

const TEXT = /\.(trace|network|json|html|css|txt|js|svg|xml)$|^[^.]+$/;

/** The trace zip with every text entry redacted (binary entries — images, fonts — are kept as they are). */
export function redactTraceZip(zip: Uint8Array, extra: Iterable<string> = []): Uint8Array {
  const list = [...extra];
  const files = unzipSync(zip);
  const out: Zippable = {};
  for (const [name, data] of Object.entries(files))
    out[name] = TEXT.test(name.split('/').pop() ?? name) ? strToU8(redactText(strFromU8(data), list)) : data;
  return zipSync(out, { level: 6 });
}

/** Where a run's files go: a folder per check and run. */
export function runKey(checkId: string, region: string, at = new Date()): string {
  return `${checkId}/${at.toISOString().replace(/[:.]/g, '-')}-${region}`;
}

let s3: S3Client | undefined;

/** Keeps `files` (name → bytes) for a run and says where each went. Failures to keep are data, never thrown. */
export async function keepArtifacts(
  key: string,
  files: Record<string, Uint8Array>,
): Promise<{ kept: Artifact[]; error?: string }> {
  const bucket = process.env[ARTIFACTS_BUCKET_ENV];
  const kept: Artifact[] = [];
  try {
    if (bucket) {
      const region = process.env.AWS_REGION ?? 'us-east-1';
      s3 ??= awsClient(S3Client, { region, retry: AWS_CALL_RETRY });
      for (const [name, body] of Object.entries(files)) {
        const objectKey = `${key}/${name}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentType: mime(name) }));
        kept.push({
          name,
          location:
            `https://${region}.console.aws.amazon.com/s3/object/${bucket}` +
            `?region=${region}&prefix=${encodeURIComponent(objectKey)}`,
        });
      }
    } else {
      const dir = resolve(process.env[ARTIFACTS_DIR_ENV] ?? join('.watchpost', 'artifacts'), key);
      await mkdir(dir, { recursive: true });
      for (const [name, body] of Object.entries(files)) {
        await writeFile(join(dir, name), body);
        kept.push({ name, location: join(dir, name) });
      }
    }
    return { kept };
  } catch (e) {
    return { kept, error: `artifacts not kept: ${(e as Error).message}` };
  }
}

const mime = (name: string) =>
  name.endsWith('.png') ? 'image/png' : name.endsWith('.zip') ? 'application/zip' : 'application/octet-stream';
