/**
 * The API of @trailscope/evidence: digest-chain validation (`validate`) and exports of search results. A name used
 * only inside the package stays unexported.
 */
export { FINDING_CODES, type Finding, type FindingCode } from './digest/finding';
export { parseDigestKey } from './digest/digest-key';
export { DigestDocumentSchema, parseDigestDocument, type DigestDocument } from './digest/digest-document';
export { digestSigningString, verifyDigestSignature } from './digest/signature';
export { fetchPublicKeys, parsePublicKeys, type PublicKeys } from './digest/public-keys';
export { formatValidationSummary, type ValidationSummary } from './digest/validation-summary';
export {
  DEFAULT_MAX_DIGEST_BYTES,
  DEFAULT_VALIDATE_CONCURRENCY,
  UNLISTED_MARGIN_MS,
  validateTrail,
  type ValidateTrailOptions,
} from './digest/validate-trail';
export { CSV_COLUMNS, csvRowOf, neutraliseFormula } from './export/csv-row';
export { directoryTarget, fileTarget, s3Target, streamTarget, type OutputTarget, type WrittenFile } from './export/output-target';
export { EXPORT_FORMATS, exportEvents, type ExportFormat, type ExportManifest, type ExportOptions } from './export/export-events';
