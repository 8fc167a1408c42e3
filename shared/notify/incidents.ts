/**
 * The notifier records the status page's incidents (shared/incidents/store.ts, the one recorder):
 * opened on a DOWN or DEGRADED page, acknowledged ("investigating"), resolved on recovery.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IncidentStore } from '../incidents/store';
import type { IncidentRecorder } from './oncall';

/** The incident store on the results table, as the on-call engine uses it. */
export function incidentRecorder(client: DynamoDBClient, tableName: string): IncidentRecorder {
  return new IncidentStore(client, tableName);
}
