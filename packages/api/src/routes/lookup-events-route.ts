import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, errorCodeOf, errorMessageOf, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { parseSearchRequest, search } from '@trailscope/query';
import { AwsError } from '../lookup/aws-error';
import { lookupToSearch, toLookupEvent } from '../lookup/lookup-request';
import { headersFromRaw, parseQueryString, verifySigV4 } from '../auth/sigv4';
import { scopeOfKey, type KeyStore } from '../keys/key-store';
import type { SearchCursors } from './search-cursors';
import type { KeyLimits } from '../limits/key-limits';

export const LOOKUP_EVENTS_TARGET = 'CloudTrail_20131101.LookupEvents';
/**
 * botocore (the AWS CLI v1 and v2, boto3) sends CloudTrail's targets with the service's full Smithy prefix, the
 * JavaScript SDK with the short one: `[com.amazonaws.cloudtrail.v20131101.]CloudTrail_20131101.<Operation>`.
 */
const CLOUDTRAIL_TARGET_RE = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.([A-Za-z0-9]+)$/;
const AMZ_JSON = 'application/x-amz-json-1.1';

/** The CloudTrail operation an `X-Amz-Target` names, or undefined when it names none. */
export function cloudTrailOperationOf(target: string | undefined): string | undefined {
  return target === undefined ? undefined : CLOUDTRAIL_TARGET_RE.exec(target)?.[1];
}

function sendAws(reply: FastifyReply, err: AwsError): FastifyReply {
  // a Buffer, so that fastify does not append "; charset=utf-8" to AWS's media type
  return reply
    .status(err.status)
    .header('content-type', AMZ_JSON)
    .header('x-amzn-errortype', err.type)
    .send(Buffer.from(JSON.stringify({ __type: err.type, message: err.message }), 'utf8'));
}

const rawCode = (err: unknown): unknown => (err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined);
const statusOf = (err: unknown): unknown => (err && typeof err === 'object' ? (err as { statusCode?: unknown }).statusCode : undefined);

/** Our coded errors (and fastify's own 4xx) in the vocabulary the AWS SDKs understand, and retry on for 5xx. */
export function awsErrorOf(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  // A rate limit is answered as AWS does: 400 ThrottlingException, which every AWS SDK backs off and retries.
  if (rawCode(err) === 'RATE_LIMITED' || statusOf(err) === 429) {
    return new AwsError('ThrottlingException', 'Rate exceeded');
  }
  const code = errorCodeOf(err);
  switch (code) {
    case 'INVALID_CURSOR':
      return new AwsError('InvalidNextTokenException', 'A token that is not valid, or a token that was previously used in a request with different parameters.');
    case 'VALIDATION_FAILED':
      return new AwsError('InvalidParameterException', errorMessageOf(err));
    case 'FORBIDDEN':
      return new AwsError('AccessDeniedException', errorMessageOf(err), 403);
    case 'OPENSEARCH_UNAVAILABLE':
    case 'TIMEOUT':
      return new AwsError('ServiceUnavailableException', 'The service is temporarily unavailable.', 503);
    case 'INTERNAL': {
      // fastify's own refusals before the handler runs: body too large, unreadable body
      const status = statusOf(err);
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return new AwsError('SerializationException', errorMessageOf(err), status);
      }
      break;
    }
    default: {
      const status = ERROR_CODES[code].httpStatus;
      if (status >= 400 && status < 500) return new AwsError('InvalidParameterException', errorMessageOf(err));
    }
  }
  return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500);
}

function replyWithAwsError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const aws = awsErrorOf(err);
  if (aws.status >= 500) request.log.error({ err }, 'LookupEvents failed');
  else request.log.info({ awsError: aws.type, status: aws.status }, 'LookupEvents rejected');
  // also here: an error raised by a hook that ran before this scope's own onRequest
  reply.header('x-amzn-requestid', request.id);
  return sendAws(reply, aws);
}

/**
 * CloudTrail's LookupEvents over the self-hosted store: AWS JSON 1.1 on `POST /`, SigV4-signed with an API key's id
 * and secret. Unlike AWS it spans every account and region the key may see, and any age. Registered in a scope of
 * its own: the body arrives as bytes whatever its media type (the signature covers them), and every answer, errors
 * raised before the handler included, is in AWS's shape with an `x-amzn-RequestId`.
 */
export function registerLookupEventsRoute(app: FastifyInstance, deps: { client: OpenSearchClient; names: Names; keys: KeyStore; cursors: SearchCursors; limits: KeyLimits }): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.addHook('onRequest', async (request, reply) => {
      reply.header('x-amzn-requestid', request.id);
    });
    scope.setErrorHandler((err, request, reply) => replyWithAwsError(request, reply, err));

    scope.post('/', { config: { auth: 'sigv4' } }, async (request, reply) => {
      try {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const url = request.raw.url ?? '/';
        const q = url.indexOf('?');
        const headers = headersFromRaw(request.raw.rawHeaders);
        let keyScope: ReturnType<typeof scopeOfKey> | undefined;
        let keyId: string | undefined;
        await verifySigV4(
          { method: request.method, path: q < 0 ? url : url.slice(0, q), query: parseQueryString(q < 0 ? '' : url.slice(q + 1)), headers, body },
          async (id) => {
            let resolved;
            try {
              resolved = await deps.keys.resolve(id);
            } catch (err) {
              if (errorCodeOf(err) !== 'CONFIG_INVALID') throw err;
              // a secret sealed under another server key: the operator must act, the caller learns nothing
              request.log.error({ err }, 'API key secret cannot be opened; answered as an unknown key');
              return undefined;
            }
            if (!resolved) return undefined;
            keyScope = scopeOfKey(resolved.key);
            keyId = resolved.key.id;
            return resolved.secret;
          },
          { service: 'cloudtrail' },
        );
        if (keyId !== undefined) await deps.limits.admit(request, reply, keyId);
        const target = request.headers['x-amz-target'];
        const operation = cloudTrailOperationOf(typeof target === 'string' ? target : undefined);
        if (operation !== 'LookupEvents') {
          throw new AwsError(
            'UnknownOperationException',
            operation === undefined
              ? `X-Amz-Target ${JSON.stringify(target ?? '')} names no CloudTrail operation; this endpoint serves ${LOOKUP_EVENTS_TARGET}.`
              : `Operation ${operation} is not supported; this endpoint serves ${LOOKUP_EVENTS_TARGET}.`,
          );
        }
        let payload: unknown;
        try {
          payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsError('SerializationException', 'Request body is not valid JSON.');
        }
        const req = parseSearchRequest(lookupToSearch(payload));
        // NextTokens are cursors: bound to this key, its scope, the namespace and the request
        const page = await search(deps.client, deps.names, req, keyScope ?? { accounts: [] }, { ...deps.cursors.optionsFor(keyId ?? ''), ...request.searchLimits });
        const out: { Events: unknown[]; NextToken?: string } = { Events: page.events.map(toLookupEvent) };
        if (page.cursor) out.NextToken = page.cursor;
        return reply.status(200).header('content-type', AMZ_JSON).send(Buffer.from(JSON.stringify(out), 'utf8'));
      } catch (err) {
        return replyWithAwsError(request, reply, err);
      }
    });
  });
}
