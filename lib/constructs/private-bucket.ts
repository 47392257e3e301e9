import { BlockPublicAccess, BucketEncryption, type BucketProps, ObjectOwnership } from 'aws-cdk-lib/aws-s3';

/**
 * What every bucket of the pipeline has: SSE-S3 (the only encryption S3 access-log delivery takes,
 * and none that a writer must be granted), TLS 1.2+ only, no public access, no ACLs.
 */
export const PRIVATE_BUCKET: Pick<
  BucketProps,
  'encryption' | 'enforceSSL' | 'minimumTLSVersion' | 'blockPublicAccess' | 'objectOwnership'
> = {
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
};
