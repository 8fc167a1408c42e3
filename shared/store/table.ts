/**
 * The results table's layout, shared by the store code and the CDK app so both agree.
 * - history: pk `RUN#<checkId>`, sk `<scheduledAt ISO>#<region>` (idempotent: a re-delivered
 *   event rewrites the same item), TTL attribute `expiresAt` (epoch seconds).
 * - latest state: pk `LATEST#<checkId>`, sk `<region>` (one writer per region: no conflicts
 *   between global-table replicas).
 * - heartbeat pings: pk `PING#<checkId>`, sk `STATE` and `EVENT#…` (shared/probes/heartbeat/ping-store.ts).
 * - notifier flap records: pk `NOTIFY#<checkId>` or `NOTIFY#runner` (shared/notify/flap-store.ts).
 * - daily rollups: pk `ROLLUP#<checkId>`, sk `<YYYY-MM-DD>#<region>`, TTL 400 days (shared/rollups/store.ts).
 * - incidents: pk `INCIDENT`, `INCIDENT#OPEN`, `INCIDENT#ID` (shared/incidents/store.ts).
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

export const historyKey = (checkId: string, scheduledAt: string, region: string) => ({
  [TABLE.partitionKey]: `RUN#${checkId}`,
  [TABLE.sortKey]: `${scheduledAt}#${region}`,
});

export const latestKey = (checkId: string, region: string) => ({
  [TABLE.partitionKey]: `LATEST#${checkId}`,
  [TABLE.sortKey]: region,
});

/** Default physical table name for a project: one name in every region (global table). */
export const tableName = (project: string) => `${project}-watchpost-results`;

/** CloudWatch namespace of every watchpost metric. */
export const METRIC_NAMESPACE = 'Watchpost';
