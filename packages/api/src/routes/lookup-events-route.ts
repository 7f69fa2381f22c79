import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorCodeOf, errorMessageOf, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { parseSearchRequest, search } from '@trailscope/query';
import { AwsError } from '../lookup/aws-error';
import { lookupToSearch, toLookupEvent } from '../lookup/lookup-request';
import { verifySigV4 } from '../auth/sigv4';
import { scopeOfKey, type KeyStore } from '../keys/key-store';

export const LOOKUP_EVENTS_TARGET = 'CloudTrail_20131101.LookupEvents';
const AMZ_JSON = 'application/x-amz-json-1.1';

function sendAws(reply: FastifyReply, err: AwsError): FastifyReply {
  return reply
    .status(err.status)
    .header('content-type', AMZ_JSON)
    .header('x-amzn-errortype', err.type)
    .send(JSON.stringify({ __type: err.type, message: err.message }));
}

/** Our coded errors in the vocabulary the AWS SDK understands (and retries on, for 5xx). */
function awsErrorOf(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  switch (errorCodeOf(err)) {
    case 'INVALID_CURSOR':
      return new AwsError('InvalidNextTokenException', 'A token that is not valid, or a token that was previously used in a request with different parameters.');
    case 'VALIDATION_FAILED':
      return new AwsError('InvalidParameterException', errorMessageOf(err));
    case 'FORBIDDEN':
      return new AwsError('AccessDeniedException', errorMessageOf(err), 403);
    case 'OPENSEARCH_UNAVAILABLE':
    case 'TIMEOUT':
      return new AwsError('ServiceUnavailableException', 'The service is temporarily unavailable.', 503);
    default:
      return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500);
  }
}

/**
 * CloudTrail's LookupEvents over the self-hosted store: AWS JSON 1.1 on `POST /`, SigV4-signed with an API key's id
 * and secret. Unlike AWS it spans every account and region the key may see, and any age.
 */
export function registerLookupEventsRoute(app: FastifyInstance, deps: { client: OpenSearchClient; names: Names; keys: KeyStore }): void {
  app.addContentTypeParser(AMZ_JSON, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/', { config: { auth: 'sigv4' } }, async (request, reply) => {
    reply.header('x-amzn-requestid', randomUUID());
    try {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const [path = '/', rawQuery = ''] = request.raw.url?.split('?', 2) ?? [];
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(rawQuery)) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      let keyScope: ReturnType<typeof scopeOfKey> | undefined;
      await verifySigV4(
        { method: request.method, path, query, headers: request.headers, body },
        async (id) => {
          const resolved = await deps.keys.resolve(id);
          if (!resolved) return undefined;
          keyScope = scopeOfKey(resolved.key);
          return resolved.secret;
        },
        { service: 'cloudtrail' },
      );
      const target = request.headers['x-amz-target'];
      if (target !== LOOKUP_EVENTS_TARGET) {
        throw new AwsError('UnknownOperationException', `Operation ${String(target ?? '')} is not supported; only ${LOOKUP_EVENTS_TARGET}.`);
      }
      let payload: unknown;
      try {
        payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new AwsError('SerializationException', 'Request body is not valid JSON.');
      }
      const req = parseSearchRequest(lookupToSearch(payload));
      const page = await search(deps.client, deps.names, req, keyScope ?? { accounts: [] });
      const out: { Events: unknown[]; NextToken?: string } = { Events: page.events.map(toLookupEvent) };
      if (page.cursor) out.NextToken = page.cursor;
      return reply.status(200).header('content-type', AMZ_JSON).send(JSON.stringify(out));
    } catch (err) {
      const aws = awsErrorOf(err);
      if (aws.status >= 500) request.log.error({ err }, 'LookupEvents failed');
      else request.log.info({ awsError: aws.type }, 'LookupEvents rejected');
      return sendAws(reply, aws);
    }
  });
}
