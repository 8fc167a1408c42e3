/**
 * The StatusModel the site renders (the contract with shared/status/model.ts, which builds it)
 * and the files the site is made of.
 */
export type ComponentState = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'maintenance' | 'no_data';

export interface StatusDay {
  /** YYYY-MM-DD, UTC. */
  date: string;
  /** null: no data that day. */
  uptimePercent: number | null;
  downMinutes: number;
  degradedMinutes: number;
  maintenanceMinutes: number;
  noDataMinutes: number;
  incidents: { id: string; title: string }[];
}

export interface StatusComponent {
  name: string;
  description?: string;
  group?: string;
  state: ComponentState;
  uptime: { '24h': number | null; '7d': number | null; '30d': number | null; '90d': number | null };
  /** Oldest → newest, exactly the history length (90). */
  days: StatusDay[];
  /** Last 7 days, hourly. */
  latency: { hour: string; p50: number | null; p95: number | null }[];
}

export interface PublicIncident {
  id: string;
  title: string;
  severity: string;
  components: string[];
  startedAt: string;
  endedAt?: string;
  updates: { at: string; status: string; message: string }[];
}

export interface PublicMaintenance {
  title: string;
  components: string[];
  startsAt: string;
  endsAt: string;
}

export interface StatusModel {
  title: string;
  description?: string;
  generatedAt: string;
  dataAsOf: string | null;
  stale: boolean;
  overall: ComponentState;
  groups: { name: string; components: string[] }[];
  components: StatusComponent[];
  incidents: { open: PublicIncident[]; past: PublicIncident[] };
  maintenance: { active: PublicMaintenance[]; upcoming: PublicMaintenance[] };
  accounting: string;
}

/** One file of the built site: its path under the site root, bytes, and the headers it is served with. */
export interface SiteFile {
  path: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
}
