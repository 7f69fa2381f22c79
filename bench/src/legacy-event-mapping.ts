/**
 * The event mapping of index template version 2, frozen here as the storage scenario's "before": the same
 * documents bulk-loaded into it and into the current template, in the same run, show what each mapping change saves
 * per part of the index. Do not update it with the template: it is the baseline, not a copy.
 */
export function legacyEventMappingsV2(): Record<string, unknown> {
  const keyword = { type: 'keyword', ignore_above: 1024 } as const;
  const bool = { type: 'boolean' } as const;
  const flat = { type: 'flat_object' } as const;
  return {
    dynamic: false,
    _meta: { managed_by: 'trailscope', version: 2 },
    properties: {
      id: { type: 'keyword' },
      eventTime: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      eventVersion: keyword,
      eventID: keyword,
      eventSource: keyword,
      eventName: keyword,
      eventType: keyword,
      eventCategory: keyword,
      account: keyword,
      region: keyword,
      orgId: keyword,
      readOnly: bool,
      managementEvent: bool,
      errorCode: keyword,
      errorMessage: { type: 'text', fields: { keyword } },
      userIdentity: {
        dynamic: false,
        properties: {
          type: keyword,
          principalId: keyword,
          arn: keyword,
          accountId: keyword,
          accessKeyId: keyword,
          userName: keyword,
          invokedBy: keyword,
          mfaAuthenticated: bool,
          sessionIssuer: {
            dynamic: false,
            properties: { type: keyword, principalId: keyword, arn: keyword, accountId: keyword, userName: keyword },
          },
        },
      },
      sourceIPAddress: keyword,
      sourceIp: { type: 'ip' },
      userAgent: { type: 'keyword', ignore_above: 4096, fields: { text: { type: 'text' } } },
      requestID: keyword,
      sharedEventID: keyword,
      vpcEndpointId: keyword,
      recipientAccountId: keyword,
      tlsDetails: {
        dynamic: false,
        properties: { tlsVersion: keyword, cipherSuite: keyword, clientProvidedHostHeader: keyword },
      },
      resources: { dynamic: false, properties: { ARN: keyword, type: keyword, accountId: keyword } },
      requestParameters: flat,
      responseElements: flat,
      additionalEventData: flat,
      serviceEventDetails: flat,
      insightDetails: flat,
      raw: { type: 'keyword', index: false, doc_values: false },
      ingest: {
        dynamic: false,
        properties: { bucket: keyword, key: keyword, etag: keyword, kind: keyword, ingestedAt: { type: 'date' } },
      },
    },
  };
}
