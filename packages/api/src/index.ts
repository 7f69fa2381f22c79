/**
 * The API of @trailscope/api: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { buildServer, type ServerDeps } from './server';
export { startApi } from './main';
export { type QueueCounts } from './stats';
export { createKeyStore, type ApiKeyInfo, type KeyStore } from './keys/key-store';
export { requireServerKey } from './keys/server-key';
export { toLookupEvent, type LookupEvent } from './lookup/lookup-request';
export { buildSavedObjects, toNdjson } from './dashboards/saved-objects';
