/**
 * The API of @trailscope/evidence (digest-chain validation, the file ledger's listing and exports): only what other packages, tests and the
 * bench import. A name used only inside the package stays unexported; export one here (and in exports.txt beside
 * this package's exports test) when another package needs it.
 */
export { type Finding } from './digest/finding';
export { fetchPublicKeys, parsePublicKeys, type PublicKeys } from './digest/public-keys';
export { formatValidationSummary } from './digest/validation-summary';
export { DEFAULT_MAX_DIGEST_BYTES, DEFAULT_VALIDATE_CONCURRENCY, validateTrail } from './digest/validate-trail';
export { directoryTarget, fileTarget, s3Target, streamTarget, type OutputTarget } from './export/output-target';
export { EXPORT_FORMATS, exportEvents, type ExportFormat } from './export/export-events';
export { tarTarget } from './export/tar-target';
export { FilesRequestSchema, MAX_FILES_PAGE, parseFilesRequest } from './ledger/files-request';
export { listFiles } from './ledger/list-files';
