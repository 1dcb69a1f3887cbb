import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3FileStore } from '../../../functions/adapters/s3-file-store.ts';
import { buildSendEmail, SesEmailSender } from '../../../functions/adapters/ses-email-sender.ts';

const ses = mockClient(SESv2Client);
const s3 = mockClient(S3Client);
afterEach(() => {
  ses.reset();
  s3.reset();
});

const email = {
  to: 'ana@example.org',
  subject: 'Trending papers',
  html: '<p>hi</p>',
  text: 'hi',
  headers: {
    'List-Unsubscribe': '<https://x.org/u?token=t>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

describe('SesEmailSender', () => {
  it('sends simple content with HTML, text and the custom headers', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const sender = new SesEmailSender(
      new SESv2Client({ region: 'us-east-1' }),
      'papers@example.org',
      'paperboy',
    );
    expect(await sender.send(email)).toEqual({ messageId: 'm-1' });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: 'papers@example.org',
      Destination: { ToAddresses: ['ana@example.org'] },
      ConfigurationSetName: 'paperboy',
      Content: {
        Simple: {
          Subject: { Data: 'Trending papers', Charset: 'UTF-8' },
          Body: { Html: { Data: '<p>hi</p>', Charset: 'UTF-8' }, Text: { Data: 'hi', Charset: 'UTF-8' } },
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://x.org/u?token=t>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    });
  });

  it('refuses a header or subject with a line break (no header injection)', () => {
    expect(() => buildSendEmail({ ...email, subject: 'a\r\nBcc: x@y.z' }, 'p@x.org')).toThrow(
      /Subject contains a line break/u,
    );
    expect(() => buildSendEmail({ ...email, headers: { 'List-Id': 'a\nb' } }, 'p@x.org')).toThrow(/List-Id/u);
  });
});

describe('S3FileStore', () => {
  it('reads a missing object as undefined (the event came after the file moved)', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const store = new S3FileStore(new S3Client({ region: 'us-east-1' }), 'bucket');
    expect(await store.open('incoming/a.json')).toBeUndefined();
  });

  it('lets other failures through', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const store = new S3FileStore(new S3Client({ region: 'us-east-1' }), 'bucket');
    await expect(store.open('incoming/a.json')).rejects.toThrow('denied');
  });
});
