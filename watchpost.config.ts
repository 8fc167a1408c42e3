/**
 * An example config. `npm start` serves a demo shop on loopback (port 4319, or
 * WATCHPOST_DEMO_PORT) so these checks show something real with no internet: one passes,
 * one is slow (degraded), one is broken (fails).
 *
 * Replace the demo checks with your own, e.g.
 *   { id: 'shop-home', kind: 'http', url: 'https://shop.example.com/', assertions: [status.equals(200)] }
 */
import { defineConfig, json, latency, status, text } from 'watchpost';

const demo = `http://127.0.0.1:${process.env.WATCHPOST_DEMO_PORT ?? 4319}`;

export default defineConfig({
  project: 'demo',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1', 'us-east-1', 'ap-southeast-1'],
  notify: {
    critical: { sms: [], email: ['oncall@example.com'] },
    warning: { email: ['team@example.com'] },
  },
  defaults: { frequency: '30s', timeout: '5s', retries: 1 },
  checks: [
    {
      id: 'shop-health',
      name: 'Shop: health endpoint',
      kind: 'http',
      url: `${demo}/health`,
      assertions: [status.equals(200), json('$.status').equals('ok'), latency.lessThan(500)],
    },
    {
      id: 'shop-products',
      name: 'Shop: product feed is not empty',
      kind: 'http',
      url: `${demo}/api/products`,
      assertions: [status.equals(200), json('$.items.length').greaterThan(0), json('$.items[0].price').greaterThan(0)],
    },
    {
      id: 'shop-checkout',
      name: 'Shop: checkout answers quickly',
      kind: 'http',
      url: `${demo}/checkout`,
      degradedAfter: '800ms',
      assertions: [status.equals(200)],
    },
    {
      id: 'shop-cart-flow',
      name: 'Shop: log in and read the cart',
      kind: 'multistep',
      steps: [
        {
          name: 'login',
          request: { url: `${demo}/api/login`, method: 'POST', body: { user: 'probe@example.com' } },
          assertions: [status.equals(200)],
          extract: { token: '$.token' },
        },
        {
          name: 'cart',
          request: { url: `${demo}/api/cart`, headers: { authorization: 'Bearer {{vars.token}}' } },
          assertions: [status.equals(200), json('$.items.length').greaterThan(0)],
        },
      ],
    },
    {
      id: 'shop-port',
      name: 'Shop: port accepts connections',
      kind: 'tcp',
      host: '127.0.0.1',
      port: Number(process.env.WATCHPOST_DEMO_PORT ?? 4319),
    },
    {
      id: 'nightly-export',
      name: 'Nightly export job reports in',
      kind: 'heartbeat',
      period: '1m',
      grace: '30s',
      maxRuntime: '10m',
      token: { secret: 'demo-job-token' },
      regions: ['eu-central-1'], // a heartbeat judges stored pings: one region is enough
    },
    {
      id: 'shop-cart-ui',
      name: 'Shop: add to cart in a real browser',
      kind: 'browser',
      frequency: '1m',
      timeout: '20s',
      regions: ['eu-central-1'], // one real Chromium per run: one region is enough for the demo
      steps: [{ goto: `${demo}/shop` }, { click: 'text=Add to cart' }, { expectText: 'Cart (1)' }],
      assertions: [{ source: 'consoleErrors', comparison: 'equals', target: 0 }],
    },
    {
      id: 'shop-search',
      name: 'Shop: search works',
      kind: 'http',
      url: `${demo}/search?q=mug`,
      severity: 'warning',
      runbook: 'https://wiki.example.com/runbooks/search',
      assertions: [status.equals(200), text.notContains('unavailable')],
    },
  ],
  // What customers see (docs/status-page.md): public names only, never ids or URLs.
  statusPage: {
    title: 'Demo shop status',
    components: [
      { name: 'Website', checks: ['shop-health', 'shop-products', 'shop-port'] },
      { name: 'Checkout', checks: ['shop-checkout', 'shop-cart-flow'] },
      { name: 'Search', checks: ['shop-search'] },
    ],
    groups: [{ name: 'Shop', components: ['Website', 'Checkout', 'Search'] }],
  },
});
