import { adviseIndexPeriod, SHARD_SIZING } from './shard-sizing';

const GIB = 1024 ** 3;

describe('index period policy', () => {
  it('gives monthly indices below a day of events filling a shard to 10 GiB, daily from there', () => {
    expect(adviseIndexPeriod(0.2 * GIB)).toEqual({ period: 'month', shards: 1, shardBytes: 6 * GIB });
    expect(adviseIndexPeriod(SHARD_SIZING.minShardBytes - 1).period).toBe('month');
    expect(adviseIndexPeriod(SHARD_SIZING.minShardBytes)).toEqual({ period: 'day', shards: 1, shardBytes: 10 * GIB });
  });

  it('adds primary shards so that none holds more than 50 GiB', () => {
    // 5 GiB a day: a month is 150 GiB, three shards of 50 GiB
    expect(adviseIndexPeriod(5 * GIB)).toEqual({ period: 'month', shards: 3, shardBytes: 50 * GIB });
    expect(adviseIndexPeriod(120 * GIB)).toEqual({ period: 'day', shards: 3, shardBytes: 40 * GIB });
  });

  it('gives one monthly shard when there is nothing to measure', () => {
    expect(adviseIndexPeriod(0)).toEqual({ period: 'month', shards: 1, shardBytes: 0 });
  });
});
