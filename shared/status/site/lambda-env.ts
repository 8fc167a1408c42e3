/** Environment variables the CDK app sets on the status builder Lambda (functions/status-builder). */
export const STATUS_ENV = {
  /** Results table (home region). */
  table: 'WATCHPOST_TABLE',
  /** The bucket CloudFront serves the site from. */
  bucket: 'WATCHPOST_STATUS_BUCKET',
  /** The page's public address, for the feed's links. */
  siteUrl: 'WATCHPOST_STATUS_URL',
} as const;

/** Content-Security-Policy of the page: every file from the site itself, nothing from elsewhere. */
export const STATUS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
