/**
 * The indexed shape of one CloudTrail event. Field names here are the contract between the indexer (mapping),
 * the query package (DSL) and the Dashboards export; change them in one place only.
 */
export interface EventDoc {
  /**
   * The document _id (eventID, else a content hash of `raw`), also indexed as a keyword: search_after needs a
   * unique, always-present, doc-values tie-breaker, and sorting on `_id` itself loads fielddata on the heap.
   */
  id: string;
  eventTime: string;
  eventVersion?: string;
  eventID?: string;
  eventSource: string;
  eventName: string;
  eventType?: string;
  eventCategory?: string;
  /** recipientAccountId, else the account of the S3 key. */
  account: string;
  region?: string;
  orgId?: string;
  readOnly?: boolean;
  managementEvent?: boolean;
  errorCode?: string;
  errorMessage?: string;
  userIdentity?: {
    type?: string;
    principalId?: string;
    arn?: string;
    accountId?: string;
    accessKeyId?: string;
    userName?: string;
    invokedBy?: string;
    mfaAuthenticated?: boolean;
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
  };
  /** Always the text CloudTrail wrote. */
  sourceIPAddress?: string;
  /** Only when sourceIPAddress is an IPv4/IPv6 address. */
  sourceIp?: string;
  userAgent?: string;
  requestID?: string;
  sharedEventID?: string;
  vpcEndpointId?: string;
  recipientAccountId?: string;
  tlsDetails?: { tlsVersion?: string; cipherSuite?: string; clientProvidedHostHeader?: string };
  resources?: Array<{ ARN?: string; type?: string; accountId?: string }>;
  requestParameters?: unknown;
  responseElements?: unknown;
  additionalEventData?: unknown;
  serviceEventDetails?: unknown;
  insightDetails?: unknown;
  /** The record exactly as it appeared in the log file. Stored, not indexed. */
  raw: string;
  /**
   * Where the document came from. `computed-insight`: an Insights record trailscope computed from stored events
   * (packages/insights), never delivered by AWS; bucket, key and etag are then empty.
   */
  ingest: { bucket: string; key: string; etag: string; ingestedAt: string; kind: 'log' | 'insight' | 'computed-insight' };
}

/** Field paths used by the query side and Dashboards; all must exist in the index template. */
export const FIELDS = {
  id: 'id',
  eventTime: 'eventTime',
  eventID: 'eventID',
  eventName: 'eventName',
  eventSource: 'eventSource',
  eventType: 'eventType',
  eventCategory: 'eventCategory',
  account: 'account',
  region: 'region',
  readOnly: 'readOnly',
  errorCode: 'errorCode',
  errorMessage: 'errorMessage',
  userType: 'userIdentity.type',
  principalId: 'userIdentity.principalId',
  userArn: 'userIdentity.arn',
  userName: 'userIdentity.userName',
  accessKeyId: 'userIdentity.accessKeyId',
  sessionIssuerArn: 'userIdentity.sessionIssuer.arn',
  sessionIssuerUserName: 'userIdentity.sessionIssuer.userName',
  mfaAuthenticated: 'userIdentity.mfaAuthenticated',
  sourceIPAddress: 'sourceIPAddress',
  sourceIp: 'sourceIp',
  userAgent: 'userAgent',
  resourceArn: 'resources.ARN',
  resourceType: 'resources.type',
  requestID: 'requestID',
  requestParameters: 'requestParameters',
  responseElements: 'responseElements',
  additionalEventData: 'additionalEventData',
  serviceEventDetails: 'serviceEventDetails',
  managementEvent: 'managementEvent',
  recipientAccountId: 'recipientAccountId',
  orgId: 'orgId',
  vpcEndpointId: 'vpcEndpointId',
  ingestedAt: 'ingest.ingestedAt',
  raw: 'raw',
} as const;
