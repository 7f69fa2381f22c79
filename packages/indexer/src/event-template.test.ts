import { FIELDS, namesFor } from '@trailscope/model';
import { eventMappings, eventTemplateBody } from './event-template';

type Mapping = { type?: string; properties?: Record<string, Mapping> };

function lookup(path: string): Mapping | undefined {
  let node: Mapping | undefined = eventMappings() as Mapping;
  for (const part of path.split('.')) node = node?.properties?.[part];
  return node;
}

describe('event template', () => {
  it('maps every field the query side uses', () => {
    for (const path of Object.values(FIELDS)) expect([path, lookup(path)?.type]).toEqual([path, expect.any(String)]);
  });

  it('types the fields that are not keywords', () => {
    expect(lookup('eventTime')?.type).toBe('date');
    expect(lookup('sourceIp')?.type).toBe('ip');
    expect(lookup('readOnly')?.type).toBe('boolean');
    expect(lookup('userIdentity.mfaAuthenticated')?.type).toBe('boolean');
    for (const f of ['requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails', 'insightDetails']) {
      expect(lookup(f)?.type).toBe('flat_object');
    }
    expect(lookup('id')).toEqual({ type: 'keyword', index: false });
    expect(lookup('raw')).toEqual({ type: 'keyword', index: false, doc_values: false });
  });

  it('targets the namespace pattern, with the read alias and configured shards', () => {
    const body = eventTemplateBody({ namespace: 'ns', names: namesFor('ns'), index: { period: 'day', retentionDays: 0, shards: 3, replicas: 1 } }) as {
      index_patterns: string[];
      template: { aliases: Record<string, unknown>; settings: { index: Record<string, unknown> } };
    };
    expect(body.index_patterns).toEqual(['ns-events-*']);
    expect(Object.keys(body.template.aliases)).toEqual(['ns-events']);
    expect(body.template.settings.index).toMatchObject({ number_of_shards: 3, number_of_replicas: 1, codec: 'best_compression' });
  });
});
