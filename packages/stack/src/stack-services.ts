import { TrailscopeError } from '@trailscope/model';
import { opensearchStackService } from './opensearch-stack-service';
import { redisStackService } from './redis-stack-service';
import { s3StackService } from './s3-stack-service';
import type { ServiceName } from './stack-layout';
import type { StackService } from './stack-service';

/** Every service of the local stack, in the order status and `down` report them. */
export const STACK_SERVICES: readonly StackService[] = [opensearchStackService, redisStackService, s3StackService];

export function stackServiceNamed(name: ServiceName): StackService {
  const service = STACK_SERVICES.find((s) => s.name === name);
  if (!service) {
    throw new TrailscopeError('USAGE', `no stack service named "${String(name)}"; the services are ${STACK_SERVICES.map((s) => s.name).join(', ')}`, { context: { service: name } });
  }
  return service;
}
