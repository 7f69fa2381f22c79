import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TrailscopeError, type Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { AccountId, Region, type Scope } from '@trailscope/query';
import { SealedSecretSchema, openSecret, sealSecret } from './secret-box';
import { deriveSecretKey, requireServerKey } from './server-key';

const StoredKeySchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  accounts: z.array(z.string()).optional(),
  regions: z.array(z.string()).optional(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
  secret: SealedSecretSchema,
});
type StoredKey = z.output<typeof StoredKeySchema>;

/** A key as listed: everything but the secret. */
export interface ApiKeyInfo {
  id: string;
  name?: string;
  accounts?: string[];
  regions?: string[];
  createdAt: string;
  revokedAt?: string;
}

export const CreateKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  accounts: z.array(AccountId).min(1, 'must not be empty; omit it for a key that sees every account').optional(),
  regions: z.array(Region).min(1, 'must not be empty; omit it for a key that sees every region').optional(),
});
export type CreateKeyInput = z.input<typeof CreateKeySchema>;

const KEY_ID_RE = /^TS[A-Z2-7]{18}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 20 characters like an AWS access key id, so AWS tooling accepts it in a credential scope. */
function newKeyId(): string {
  const bytes = randomBytes(18);
  let id = 'TS';
  for (const b of bytes) id += BASE32[b % 32];
  return id;
}

export function isKeyIdShape(id: string): boolean {
  return KEY_ID_RE.test(id);
}

export function scopeOfKey(key: Pick<ApiKeyInfo, 'accounts' | 'regions'>): Scope {
  const scope: Scope = {};
  if (key.accounts) scope.accounts = key.accounts;
  if (key.regions) scope.regions = key.regions;
  return scope;
}

const KEYS_MAPPING = {
  dynamic: 'strict',
  properties: {
    id: { type: 'keyword' },
    name: { type: 'keyword' },
    accounts: { type: 'keyword' },
    regions: { type: 'keyword' },
    createdAt: { type: 'date' },
    revokedAt: { type: 'date' },
    secret: { type: 'object', enabled: false },
  },
};

function infoOf(k: StoredKey): ApiKeyInfo {
  const info: ApiKeyInfo = { id: k.id, createdAt: k.createdAt };
  if (k.name) info.name = k.name;
  if (k.accounts) info.accounts = k.accounts;
  if (k.regions) info.regions = k.regions;
  if (k.revokedAt) info.revokedAt = k.revokedAt;
  return info;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * API keys kept in OpenSearch (index names.keysIndex). Secrets are generated here, shown once, and stored only
 * sealed with AES-256-GCM under a key derived from the server key.
 */
export function createKeyStore(client: OpenSearchClient, names: Pick<Names, 'keysIndex'>, serverKey: string | undefined) {
  // listing and revoking need no secret, so only the operations that seal or open one require the server key
  let derived: Buffer | undefined;
  const secretKey = (): Buffer => (derived ??= deriveSecretKey(requireServerKey(serverKey)));
  const index = names.keysIndex;

  async function ensureIndex(): Promise<void> {
    try {
      const exists = await client.indices.exists({ index });
      if (exists.body) return;
      await client.indices.create({
        index,
        body: { settings: { number_of_shards: 1, auto_expand_replicas: '0-1' }, mappings: KEYS_MAPPING } as never,
      });
    } catch (err) {
      if ((err as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type === 'resource_already_exists_exception') return;
      throw toOpenSearchError(err, 'create API key index', { target: index });
    }
  }

  async function load(id: string): Promise<StoredKey | undefined> {
    if (!isKeyIdShape(id)) return undefined;
    try {
      const res = await client.get({ index, id }, { ignore: [404] });
      const body = res.body as { found?: boolean; _source?: unknown };
      if (!body.found) return undefined;
      return StoredKeySchema.parse(body._source);
    } catch (err) {
      throw toOpenSearchError(err, 'read API key', { target: index });
    }
  }

  return {
    /** Creates a key; the returned secret is never retrievable again. */
    async create(input: CreateKeyInput): Promise<ApiKeyInfo & { secret: string }> {
      const parsed = CreateKeySchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.map(String).join('.') || 'key';
        throw new TrailscopeError('VALIDATION_FAILED', `${field}: ${issue?.message ?? 'invalid'}`, { context: { field } });
      }
      const sealingKey = secretKey();
      await ensureIndex();
      const id = newKeyId();
      const secret = randomBytes(30).toString('base64url');
      const stored: StoredKey = { id, createdAt: new Date().toISOString(), secret: sealSecret(sealingKey, id, secret) };
      if (parsed.data.name) stored.name = parsed.data.name;
      if (parsed.data.accounts) stored.accounts = [...new Set(parsed.data.accounts)].sort();
      if (parsed.data.regions) stored.regions = [...new Set(parsed.data.regions)].sort();
      try {
        await client.index({ index, id, body: stored as never, op_type: 'create', refresh: 'wait_for' });
      } catch (err) {
        throw toOpenSearchError(err, 'store API key', { target: index });
      }
      return { ...infoOf(stored), secret };
    },

    async list(): Promise<ApiKeyInfo[]> {
      try {
        const res = await client.search(
          { index, body: { size: 10000, sort: [{ createdAt: 'asc' }, { id: 'asc' }], _source: { excludes: ['secret'] } } as never },
          { ignore: [404] },
        );
        const hits = ((res.body as { hits?: { hits?: Array<{ _source: unknown }> } }).hits?.hits ?? []);
        return hits.map((h) => infoOf(StoredKeySchema.extend({ secret: SealedSecretSchema.optional() }).parse(h._source) as StoredKey));
      } catch (err) {
        throw toOpenSearchError(err, 'list API keys', { target: index });
      }
    },

    /** Marks a key revoked (kept for the audit trail); NOT_FOUND when no such key. */
    async revoke(id: string): Promise<ApiKeyInfo> {
      const key = await load(id);
      if (!key) throw new TrailscopeError('NOT_FOUND', `key: no API key "${id}"`, { context: { field: 'id' } });
      if (key.revokedAt) return infoOf(key);
      const revokedAt = new Date().toISOString();
      try {
        await client.update({ index, id, body: { doc: { revokedAt } } as never, refresh: 'wait_for' });
      } catch (err) {
        throw toOpenSearchError(err, 'revoke API key', { target: index });
      }
      return infoOf({ ...key, revokedAt });
    },

    /** The key and its decrypted secret, for SigV4 verification; undefined when unknown or revoked. */
    async resolve(id: string): Promise<{ key: ApiKeyInfo; secret: string } | undefined> {
      const openingKey = secretKey();
      const key = await load(id);
      if (!key || key.revokedAt) return undefined;
      return { key: infoOf(key), secret: openSecret(openingKey, key.id, key.secret) };
    },

    /** Checks an id/secret pair in constant time; undefined when it does not match a live key. */
    async verify(id: string, secret: string): Promise<ApiKeyInfo | undefined> {
      const resolved = await this.resolve(id);
      if (!resolved) return undefined;
      return timingSafeEqual(digest(resolved.secret), digest(secret)) ? resolved.key : undefined;
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
