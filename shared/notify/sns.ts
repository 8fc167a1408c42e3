/**
 * A page as one SNS publish with a message per protocol (`MessageStructure: 'json'`): `sms`
 * for SMS subscriptions, `email` for email, `default` for everything else (email-json, HTTPS,
 * SQS, Lambda). `Subject` is the email subject. SMS go out as Transactional (delivered with
 * priority, as pages should be).
 */
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { redact } from '../redact';
import { formatEmail } from './format-email';
import { formatSms } from './format-sms';
import type { Incident } from './message';

export interface ChannelMessages {
  sms: string;
  email: { subject: string; text: string };
}

/** What each SNS protocol receives for an incident (secrets scrubbed before formatting and clipping). */
export function channelMessages(incident: Incident): ChannelMessages {
  const i = redact(incident);
  return { sms: formatSms(i), email: formatEmail(i) };
}

export function publishInput(topicArn: string, i: Incident): PublishCommandInput {
  const m = channelMessages(i);
  return {
    TopicArn: topicArn,
    Subject: m.email.subject,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: `${m.sms}\n\n${m.email.text}`, sms: m.sms, email: m.email.text }),
    MessageAttributes: {
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      'watchpost.kind': { DataType: 'String', StringValue: i.kind },
      'watchpost.dedupKey': { DataType: 'String', StringValue: i.dedupKey },
    },
  };
}

/** Publishes the page; throws what SNS throws (the caller decides about retries). */
export async function publishPage(client: SNSClient, topicArn: string, i: Incident): Promise<string | undefined> {
  const res = await client.send(new PublishCommand(publishInput(topicArn, i)));
  return res.MessageId;
}
