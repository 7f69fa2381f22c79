import { httpPortsFromLog, isHealthyCluster } from './opensearch-service';

describe('httpPortsFromLog', () => {
  it('returns the HTTP port of each node in start order', () => {
    const log = 'Cluster Name: trailscope\nNode Name:      Node 1\nHTTP Port:      9201\n[INFO] x\nNode Name:      Node 2\nHTTP Port:      9203\n';
    expect(httpPortsFromLog(log)).toEqual([9201, 9203]);
  });

  it('returns nothing before the runner printed its ports', () => {
    expect(httpPortsFromLog('Creating /x/node_1\n')).toEqual([]);
  });
});

describe('isHealthyCluster', () => {
  const health = { cluster_name: 'trailscope', status: 'yellow', number_of_nodes: 2 };

  it('accepts yellow or green with every node joined', () => {
    expect(isHealthyCluster(health, 2)).toBe(true);
    expect(isHealthyCluster({ ...health, status: 'green' }, 1)).toBe(true);
  });

  it('rejects red, missing nodes, another cluster and no answer', () => {
    expect(isHealthyCluster({ ...health, status: 'red' }, 2)).toBe(false);
    expect(isHealthyCluster(health, 3)).toBe(false);
    expect(isHealthyCluster({ ...health, cluster_name: 'other' }, 2)).toBe(false);
    expect(isHealthyCluster(undefined, 1)).toBe(false);
  });
});
