import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { decodeS3Key, recordIngestMetrics } from '../../../functions/triggers/ingest-object.ts';

const result = (status: 'ingested' | 'quarantined', accepted: number, rejected: number) => ({
  key: 'incoming/x',
  status,
  format: 'hf-daily' as const,
  accepted,
  rejected,
  duplicates: 0,
  stored: { new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 },
});

describe('ingest metrics', () => {
  it('counts papers, rejected records and quarantined files', () => {
    const metrics = new Metrics({ namespace: 'Paperboy', serviceName: 'ingest' });
    recordIngestMetrics(metrics, result('quarantined', 12, 3));
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf).toMatchObject({
      FilesIngested: 1,
      PapersIngested: 12,
      PapersRejected: 3,
      FilesQuarantined: 1,
    });
    const ok = new Metrics({ namespace: 'Paperboy', serviceName: 'ingest' });
    recordIngestMetrics(ok, result('ingested', 5, 0));
    expect(ok.serializeMetrics()).toMatchObject({ FilesQuarantined: 0 });
  });

  it('decodes S3 keys as S3 encodes them', () => {
    expect(decodeS3Key('incoming/a+b%2Bc%C3%A9.json')).toBe('incoming/a b+cé.json');
  });
});
