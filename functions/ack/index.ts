/**
 * The acknowledgement endpoint: a Lambda function URL in the home region that serves the signed
 * links every page carries (shared/notify/ack.ts). GET shows what the link acknowledges and a
 * button; the button's POST acknowledges the open page: no reminders, no escalation until it
 * recovers (or for the time chosen), and the status page's incident says "investigating".
 *
 * Environment: see `ACK_ENV`. The HMAC key is a Secrets Manager secret the home stack generates.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWS_CALL_RETRY, awsClient } from '../../shared/aws-clients';
import { handleAckRequest, type AckResponse } from '../../shared/notify/ack';
import { incidentRecorder } from '../../shared/notify/incidents';
import { NOTIFIER_ENV } from '../../shared/notify/lambda-env';
import { acknowledge, AckError, type OnCallDeps } from '../../shared/notify/oncall';
import { PageStore } from '../../shared/notify/page-store';
import { formatSms } from '../../shared/notify/format-sms';
import { bootstrap } from '../lib/bootstrap';

/** A Lambda function URL request (payload format 2.0), the fields read here. */
export interface FunctionUrlEvent {
  rawPath?: string;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string; sourceIp?: string } };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

let state: { deps: OnCallDeps; secret: string; resolve: (name: string) => Promise<string> } | undefined;

function init() {
  const boot = bootstrap({
    service: 'watchpost-ack',
    env: [NOTIFIER_ENV.table, NOTIFIER_ENV.ackKeySecret],
  });
  const ddb = awsClient(DynamoDBClient, { region: boot.homeRegion, retry: AWS_CALL_RETRY });
  const table = boot.env[NOTIFIER_ENV.table];
  const incidents = incidentRecorder(ddb, table);
  const deps: OnCallDeps = {
    config: boot.config,
    pages: new PageStore(ddb, table),
    latest: async () => [],
    ...(incidents ? { incidents } : {}),
    now: Date.now,
    log: boot.log,
  };
  return { deps, secret: boot.env[NOTIFIER_ENV.ackKeySecret], resolve: boot.secrets };
}

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  state ??= init();
  const { deps } = state;
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const form = Object.fromEntries(new URLSearchParams(raw));
  const res: AckResponse = await handleAckRequest(
    { method: event.requestContext?.http?.method ?? 'GET', path: event.rawPath ?? '/', form },
    {
      key: await state.resolve(state.secret),
      now: Date.now,
      describe: async (ref) => {
        const r = (await deps.pages.list()).find((p) => p.ref === ref);
        return r ? formatSms({ ...r.incident, links: {} }) : undefined;
      },
      acknowledge: async (ref, by, until) => {
        try {
          const done = await acknowledge(deps, { ref }, by, until);
          const what = done.map((r) => r.checkId ?? r.key).join(', ');
          const end = until ? `until ${new Date(until).toISOString().slice(11, 16)}Z` : 'until it recovers';
          return `Acknowledged ${what} as ${by}, ${end}: no reminders or escalation meanwhile.`;
        } catch (e) {
          if (e instanceof AckError) throw e;
          deps.log.error('acknowledgement failed', { error: (e as Error).message });
          throw new Error('the acknowledgement could not be stored; try again or use `watchpost ack`');
        }
      },
    },
  );
  return { statusCode: res.status, headers: res.headers, body: res.body };
}
