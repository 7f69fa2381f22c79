import { createPublicKey, type KeyObject } from 'node:crypto';
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

/** The public keys digests are verified with, by fingerprint (`digestPublicKeyFingerprint`). */
export type PublicKeys = ReadonlyMap<string, KeyObject>;

// The AWS CLI prints times as ISO strings or epoch seconds depending on its cli_timestamp_format.
const Time = z.union([z.string(), z.number()]);

const PublicKeyListSchema = z.object({
  PublicKeyList: z.array(
    z.object({
      Value: z.string().min(1),
      Fingerprint: z.string().min(1),
      ValidityStartTime: Time.optional(),
      ValidityEndTime: Time.optional(),
    }),
  ),
});

function keyOf(der: Buffer, where: string): KeyObject {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  } catch (err) {
    throw new TrailscopeError('VALIDATION_FAILED', `${where}: not a DER-encoded PKCS#1 RSA public key`, { cause: err, context: { field: where } });
  }
}

/** Keys from the JSON that `aws cloudtrail list-public-keys` prints (`{"PublicKeyList":[{"Value","Fingerprint",...}]}`). */
export function parsePublicKeys(text: string, source: string): PublicKeys {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrailscopeError('VALIDATION_FAILED', `${source}: not JSON (expected the output of aws cloudtrail list-public-keys)`, { cause: err, context: { file: source } });
  }
  const parsed = PublicKeyListSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || 'PublicKeyList';
    throw new TrailscopeError('VALIDATION_FAILED', `${source}: ${path}: ${issue?.message ?? 'invalid'} (expected the output of aws cloudtrail list-public-keys)`, {
      context: { file: source, field: path },
    });
  }
  const keys = new Map<string, KeyObject>();
  parsed.data.PublicKeyList.forEach((k, i) => {
    keys.set(k.Fingerprint.toLowerCase(), keyOf(Buffer.from(k.Value, 'base64'), `${source}: PublicKeyList.${i}.Value`));
  });
  return keys;
}

/** Keys valid at some point between `start` and `end`, from CloudTrail ListPublicKeys (paged). */
export async function fetchPublicKeys(client: CloudTrailClient, start: Date | undefined, end: Date | undefined): Promise<PublicKeys> {
  const keys = new Map<string, KeyObject>();
  let token: string | undefined;
  do {
    let out;
    try {
      out = await client.send(new ListPublicKeysCommand({ StartTime: start, EndTime: end, NextToken: token }));
    } catch (err) {
      // one code whatever the cause (the message names it): the SDK has already retried what is transient, and
      // without the keys no digest can be verified, so the run stops either way
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      const detail = [e.name, status === undefined ? undefined : `HTTP ${status}`, e.message ?? String(err)].filter(Boolean).join(' ');
      throw new TrailscopeError('PUBLIC_KEYS_UNAVAILABLE', `--aws: CloudTrail ListPublicKeys failed: ${detail}; give the keys with --public-keys FILE instead, or fix the AWS credentials or network`, {
        cause: err,
        context: { operation: 'ListPublicKeys', ...(status === undefined ? {} : { httpStatus: status }) },
      });
    }
    for (const k of out.PublicKeyList ?? []) {
      if (!k.Fingerprint || !k.Value) continue;
      keys.set(k.Fingerprint.toLowerCase(), keyOf(Buffer.from(k.Value), `ListPublicKeys ${k.Fingerprint}`));
    }
    token = out.NextToken;
  } while (token);
  return keys;
}
