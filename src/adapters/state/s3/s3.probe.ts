import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { httpStatusOf } from './s3.http-status.js';

export interface S3ProbeResult {
  /** The server refused a second If-None-Match: * write and wrong-ETag If-Match writes and deletes. */
  readonly conditionalWrites: boolean;
  /** What it ignored, when it ignored something. */
  readonly ignored: readonly ('If-None-Match on PutObject' | 'If-Match on PutObject' | 'If-Match on DeleteObject')[];
}

/** The server ignores the conditional writes locking relies on: two clients could both "hold" a lock. */
export class UnsafeS3Server extends Error {
  override readonly name = 'UnsafeS3Server';
  constructor(
    readonly endpoint: string,
    readonly bucket: string,
    readonly ignored: S3ProbeResult['ignored'],
  ) {
    super(
      `the S3 server at ${endpoint} (bucket ${bucket}) ignores ${ignored.join(', ')}: a probe write it should have refused ` +
        `succeeded, so two clients could both take the same IaC lock. Use a server that honours conditional writes, or ` +
        `set locking: false to run the IaC state store without locks (lock calls are then refused).`,
    );
  }
}

/** Where the probe writes and how it names and dates its object: the store's own settings. */
export interface S3ProbeTarget {
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  /** false: only report what the server ignores, never throw. */
  readonly locking: boolean;
  readonly now: () => Date;
  readonly newId: () => string;
}

/**
 * Checks the server honours the conditional writes locking relies on: writes a probe lock object
 * with If-None-Match: * twice (the second must fail with 412), then tries If-Match with a wrong
 * ETag on PutObject and DeleteObject (both must fail). Throws UnsafeS3Server when something was
 * ignored and locking is on; with `locking: false` it only reports. Cleans up after itself.
 */
export async function probeConditionalWrites(client: S3Client, target: S3ProbeTarget): Promise<S3ProbeResult> {
  const { endpoint, bucket, prefix, locking } = target;
  const key = `${prefix}.probe-${target.newId()}.lock`;
  const body = JSON.stringify({ probe: true, at: target.now().toISOString() });
  const wrongEtag = '"00000000000000000000000000000000"';
  const ignored: S3ProbeResult['ignored'][number][] = [];
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*' }));
    if (await succeeded(client, new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*' }))) {
      ignored.push('If-None-Match on PutObject');
    } else {
      if (await succeeded(client, new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfMatch: wrongEtag }))) {
        ignored.push('If-Match on PutObject');
      }
      if ((await succeeded(client, new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: wrongEtag }))) && !(await exists(client, bucket, key))) {
        ignored.push('If-Match on DeleteObject');
      }
    }
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }
  const result: S3ProbeResult = { conditionalWrites: ignored.length === 0, ignored };
  if (!result.conditionalWrites && locking) throw new UnsafeS3Server(endpoint, bucket, ignored);
  return result;
}

async function succeeded(client: S3Client, command: PutObjectCommand | DeleteObjectCommand): Promise<boolean> {
  try {
    await client.send(command as PutObjectCommand);
    return true;
  } catch (error) {
    if (httpStatusOf(error) === 412) return false;
    throw error;
  }
}

async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (httpStatusOf(error) === 404) return false;
    throw error;
  }
}
