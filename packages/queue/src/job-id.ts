import { createHash } from 'node:crypto';

export interface FileRef {
  bucket: string;
  key: string;
  etag: string;
}

/**
 * Deterministic job id of one version of one object. A hash rather than the key itself: BullMQ forbids ':' in
 * custom ids and keys can be long; a new etag (the object was rewritten) is a new job.
 */
export function jobIdFor(ref: FileRef): string {
  return 'f' + createHash('sha256').update(`${ref.bucket}\0${ref.key}\0${ref.etag}`).digest('hex').slice(0, 32);
}

/** The delivery-day folder of a key (everything up to its last "/"), the unit of done-tracking. */
export function partitionOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** Short id of one bucket partition for Redis key names. */
export function partitionIdFor(bucket: string, partitionPrefix: string): string {
  return createHash('sha256').update(`${bucket}\0${partitionPrefix}`).digest('hex').slice(0, 24);
}

/** Member of a partition's done set: 64 bits of the job id are plenty among the files of one day folder. */
export function fileIdFor(ref: FileRef): string {
  return jobIdFor(ref).slice(1, 17);
}
