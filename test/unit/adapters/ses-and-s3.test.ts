import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OBSERVED_AT_CLOCK_SKEW_MS,
  observationTime,
  S3FileStore,
} from '../../../functions/adapters/s3-file-store.ts';
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

  const uploadedAt = new Date('2026-11-27T16:00:00.000Z');
  const opened = async (metadata?: Record<string, string>) => {
    s3.on(GetObjectCommand).resolves({
      LastModified: uploadedAt,
      ContentLength: 2,
      ...(metadata && { Metadata: metadata }),
    });
    const store = new S3FileStore(new S3Client({ region: 'us-east-1' }), 'bucket');
    const file = await store.open('incoming/2026-11-22.json');
    file?.close();
    return file;
  };

  it('takes the observation time from the observed-at metadata (x-amz-meta-observed-at)', async () => {
    const file = await opened({ 'observed-at': '2026-11-22T06:00:00Z' });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'incoming/2026-11-22.json',
    });
    expect(file?.lastModified.toISOString()).toBe('2026-11-22T06:00:00.000Z');
    expect(file?.ignoredObservedAt).toBeUndefined();
    // A time with an offset is the same instant in UTC.
    expect((await opened({ 'observed-at': '2026-11-22T07:00:00+01:00' }))?.lastModified.toISOString()).toBe(
      '2026-11-22T06:00:00.000Z',
    );
  });

  it('uses the upload time without the metadata', async () => {
    const file = await opened({ other: 'x' });
    expect(file?.lastModified).toEqual(uploadedAt);
    expect(file?.ignoredObservedAt).toBeUndefined();
    expect((await opened())?.lastModified).toEqual(uploadedAt);
  });

  it('falls back to the upload time for a value that is not an ISO time, and returns it with the reason', async () => {
    for (const value of ['yesterday', '2026-11-22', '2026-11-22T06:00:00', '2026-02-30T06:00:00Z']) {
      const file = await opened({ 'observed-at': value });
      expect(file?.lastModified, value).toEqual(uploadedAt);
      expect(file?.ignoredObservedAt, value).toEqual({
        value,
        reason: expect.stringContaining('not an ISO 8601 time with a zone'),
      });
    }
  });

  it('falls back to the upload time for a time after the upload, beyond clock skew', async () => {
    const later = new Date(uploadedAt.getTime() + OBSERVED_AT_CLOCK_SKEW_MS + 1000).toISOString();
    const file = await opened({ 'observed-at': later });
    expect(file?.lastModified).toEqual(uploadedAt);
    expect(file?.ignoredObservedAt).toEqual({
      value: later,
      reason: expect.stringContaining('later than the upload (2026-11-27T16:00:00.000Z)'),
    });
    // Within the skew, the value stands.
    const skewed = new Date(uploadedAt.getTime() + 60_000);
    expect(observationTime({ 'Observed-At': skewed.toISOString() }, uploadedAt)).toEqual({
      observedAt: skewed,
    });
  });
});
