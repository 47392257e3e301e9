/**
 * s3rver accepts only these; the other emulators accept any key. Apart from the emulators, so a
 * client of local mode (npm run verify) does not load them.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';
