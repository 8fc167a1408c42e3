/** `watchpost dev`'s `/status/`: the public status page, as the hosted one serves it (shared/status/site). */
import type { ServerResponse } from 'node:http';
import { STATUS_CSP } from '../status/site/lambda-env';
import type { LiveSite } from '../status/site/live';

export async function serveStatus(path: string, res: ServerResponse, status?: LiveSite): Promise<void> {
  if (!status) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('no status page: add statusPage to the config (docs/status-page.md), then restart watchpost dev\n');
    return;
  }
  // Relative asset links need the trailing slash.
  if (path === '/status') {
    res.writeHead(308, { location: '/status/' });
    res.end();
    return;
  }
  const file = (await status.files()).get(path.slice('/status/'.length) || 'index.html');
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': file.contentType,
    'cache-control': 'no-cache',
    'content-security-policy': STATUS_CSP,
    'x-content-type-options': 'nosniff',
  });
  res.end(file.body);
}
