import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small S3-protocol server for tests, in memory, that honours conditional writes the way AWS S3
 * documents them: PutObject with `If-None-Match: *` fails with 412 when the key exists, PutObject
 * and DeleteObject with `If-Match: <etag>` fail with 412 when the object's ETag differs (404 when
 * there is no object). No S3-compatible server that honours them can run on the development
 * machines here (s3rver ignores them), so the S3 backend's positive path is tested against this.
 *
 * Path-style only (`/<bucket>/<key>`); signatures are not checked. It speaks PutObject, GetObject,
 * HeadObject, DeleteObject and ListObjectsV2 — what the IaC state store uses. Each request is
 * decided synchronously once its body has arrived, so conditional writes are atomic.
 */
export interface ConditionalS3Server {
  readonly endpoint: string;
  readonly bucket: string;
  readonly objects: ReadonlyMap<string, StoredObject>;
  /** Conditional requests refused with 412, by kind, for tests that want to see the races. */
  readonly preconditionFailures: { put: number; delete: number };
  close(): Promise<void>;
}

export interface ConditionalS3ServerOptions {
  readonly bucket?: string;
  /** Keys per ListObjectsV2 page (S3's default is 1000); small values exercise pagination. */
  readonly pageSize?: number;
  /** Behave like a server that ignores If-Match (PUT and DELETE), to test the probe. */
  readonly ignoreIfMatch?: boolean;
}

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date;
}

export async function startConditionalS3Server(options: ConditionalS3ServerOptions = {}): Promise<ConditionalS3Server> {
  const bucket = options.bucket ?? 'iac-test';
  const pageSize = options.pageSize ?? 1000;
  const objects = new Map<string, StoredObject>();
  const preconditionFailures = { put: 0, delete: 0 };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucketName, ...keyParts] = url.pathname.split('/');
    if (bucketName !== bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = keyParts.map(decodeURIComponent).join('/');
    const ifMatch = options.ignoreIfMatch ? undefined : header(req, 'if-match');
    const ifNoneMatch = header(req, 'if-none-match');
    const existing = objects.get(key);

    if (key === '') {
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') return listObjects(res, url.searchParams);
      if (req.method === 'HEAD' || req.method === 'PUT') return send(res, 200);
      return sendError(res, 501, 'NotImplemented', `${req.method} on a bucket is not implemented here`);
    }

    switch (req.method) {
      case 'PUT': {
        if (ifNoneMatch === '*' && existing) {
          preconditionFailures.put++;
          return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        }
        if (ifMatch !== undefined) {
          if (!existing) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          if (!etagMatches(ifMatch, existing.etag)) {
            preconditionFailures.put++;
            return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
          }
        }
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, { body, etag, contentType: header(req, 'content-type') ?? 'binary/octet-stream', lastModified: new Date() });
        return send(res, 200, { ETag: etag });
      }
      case 'GET':
      case 'HEAD': {
        if (!existing) return req.method === 'HEAD' ? send(res, 404) : sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        const headers = {
          ETag: existing.etag,
          'Content-Type': existing.contentType,
          'Content-Length': String(existing.body.length),
          'Last-Modified': existing.lastModified.toUTCString(),
        };
        return send(res, 200, headers, req.method === 'GET' ? existing.body : undefined);
      }
      case 'DELETE': {
        if (ifMatch !== undefined) {
          if (!existing) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          if (!etagMatches(ifMatch, existing.etag)) {
            preconditionFailures.delete++;
            return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
          }
        }
        objects.delete(key);
        return send(res, 204);
      }
      default:
        return sendError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed`);
    }
  };

  const listObjects = (res: ServerResponse, params: URLSearchParams): void => {
    const prefix = params.get('prefix') ?? '';
    const after = params.get('continuation-token') ?? params.get('start-after') ?? '';
    const max = Math.min(Number(params.get('max-keys') ?? pageSize), pageSize);
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = objects.get(k)!;
        return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${xml(page[page.length - 1]!)}</NextContinuationToken>` : ''}` +
      `${contents}</ListBucketResult>`;
    send(res, 200, { 'Content-Type': 'application/xml' }, Buffer.from(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        sendError(res, 500, 'InternalError', String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    objects,
    preconditionFailures,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((c) => c.trim())
    .some((c) => c === '*' || c === etag || `"${c}"` === etag);
}

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}, body?: Buffer): void {
  res.writeHead(status, { 'x-amz-request-id': 'conditional-s3', ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;
  send(res, status, { 'Content-Type': 'application/xml' }, Buffer.from(body));
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
