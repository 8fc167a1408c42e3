/**
 * One S3 bucket in memory behind a loopback endpoint (path-style), for code that writes a site:
 * ListObjectsV2, PutObject, GetObject, DeleteObjects, speaking S3's REST/XML the way the SDK
 * does, and recording each call. No local S3 implementation ships on this machine, so this is
 * the peer; tests check what went over the wire.
 *
 * @example
 * const s3 = await startS3Bucket('site');
 * const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'eu-central-1', credentials });
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
  etag: string;
  lastModified: Date;
}

export interface S3Bucket {
  endpoint: string;
  objects: Map<string, StoredObject>;
  /** `PUT key`, `DELETE key`, `LIST` in arrival order. */
  calls: string[];
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startS3Bucket(name: string): Promise<S3Bucket> {
  const objects = new Map<string, StoredObject>();
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, bucket, ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const body = Buffer.concat(chunks);
      const send = (status: number, text = '', headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/xml', ...headers });
        res.end(text);
      };
      if (bucket !== name) return send(404, '<Error><Code>NoSuchBucket</Code></Error>');
      if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
        calls.push('LIST');
        const items = [...objects.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(
            ([k, o]) =>
              `<Contents><Key>${xml(k)}</Key><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size>` +
              `<LastModified>${o.lastModified.toISOString()}</LastModified></Contents>`,
          );
        return send(
          200,
          '<?xml version="1.0" encoding="UTF-8"?>' +
            `<ListBucketResult><Name>${name}</Name><KeyCount>${items.length}</KeyCount>` +
            `<IsTruncated>false</IsTruncated>${items.join('')}</ListBucketResult>`,
        );
      }
      if (req.method === 'PUT' && key) {
        calls.push(`PUT ${key}`);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, {
          body,
          contentType: req.headers['content-type'],
          cacheControl: req.headers['cache-control'],
          etag,
          lastModified: new Date(),
        });
        return send(200, '', { etag });
      }
      if (req.method === 'GET' && key) {
        const o = objects.get(key);
        if (!o) return send(404, '<Error><Code>NoSuchKey</Code></Error>');
        res.writeHead(200, { 'content-type': o.contentType ?? 'application/octet-stream', etag: o.etag });
        return res.end(o.body);
      }
      if (req.method === 'POST' && url.searchParams.has('delete')) {
        const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
          m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
        );
        for (const k of keys) {
          calls.push(`DELETE ${k}`);
          objects.delete(k);
        }
        return send(200, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
      }
      send(400, '<Error><Code>NotImplemented</Code></Error>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
