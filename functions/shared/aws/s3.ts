import { S3Client } from '@aws-sdk/client-s3';
import { traced } from '../tracer.ts';

/** Path-style addressing when an endpoint is set (the local emulator); virtual-hosted on AWS. */
export function s3Client(): S3Client {
  return traced(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));
}
