/**
 * What the site renders: the StatusModel (shared/status/model.ts builds it) and the files the
 * site is made of.
 */
export type {
  ComponentState,
  PublicIncident,
  PublicMaintenance,
  StatusComponent,
  StatusDay,
  StatusModel,
} from '../model';

/** One file of the built site: its path under the site root, bytes, and the headers it is served with. */
export interface SiteFile {
  path: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
}
