import { createHash } from 'node:crypto';

/** The namespace of saga event ids (a fixed random uuid). */
const SAGA_NAMESPACE = 'b7f3c2a4-5d6e-4f10-9a8b-1c2d3e4f5a6b';

/** RFC 4122 version 5 (SHA-1, name-based) uuid: the same name always gives the same id. */
export function uuidV5(name: string, namespace = SAGA_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A saga event's id: saga, step, attempt, kind — and the revision it is appended at, since a
 * polling step may wait many times in one attempt. A retried append of the same outcome at the
 * same revision is then a no-op.
 */
export const sagaEventId = (sagaId: string, type: string, step: number | null, attempt: number, revision: bigint | 'no_stream'): string =>
  uuidV5(`${sagaId}/${type}/${step ?? '-'}/${attempt}/${String(revision)}`);
