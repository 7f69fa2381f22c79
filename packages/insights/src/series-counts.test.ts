import { createRandom } from '@trailscope/fixtures';
import { boundedPageSize, densePageSize } from './series-counts';

/** What a page of `size` composite buckets holds at most: the buckets of the `size` series with the most calls. */
function worstPage(bounds: number[], slots: number, size: number): number {
  return bounds
    .map((n) => 1 + Math.min(slots, n))
    .sort((x, y) => y - x)
    .slice(0, size)
    .reduce((s, n) => s + n, 0);
}

describe('series counts page sizes', () => {
  it('dense: as many series as fit when every one has calls in every slot', () => {
    expect(densePageSize(7 * 1440 + 1)).toBe(3);
    expect(densePageSize(361)).toBe(110);
    expect(densePageSize(1)).toBe(1000);
  });

  it('bounded by the calls of each series: sparse series share a page, one more than their number when all fit', () => {
    expect(boundedPageSize(Array.from({ length: 100 }, () => 9), 1440)).toBe(101);
    // calls beyond the slots count as the slots: busy series get the dense size, never less
    expect(boundedPageSize(Array.from({ length: 200 }, () => 1000), 360)).toBe(densePageSize(360));
    expect(boundedPageSize([], 1440)).toBe(densePageSize(1440));
    // at most 10,000 series a page however few calls each has
    expect(boundedPageSize(Array.from({ length: 20_000 }, () => 1), 1440)).toBe(10_000);
  });

  it('never lets a page hold more than 40,000 buckets, whichever series it holds (seeded mixes of busy and quiet series)', () => {
    const rng = createRandom(4242);
    for (let i = 0; i < 200; i++) {
      const slots = rng.int(60, 1440);
      const bounds = Array.from({ length: rng.int(1, 3000) }, () => (rng.chance(0.1) ? rng.int(100, 5000) : rng.int(1, 50)));
      const size = boundedPageSize(bounds, slots);
      if (size > bounds.length) continue; // every series fits in one page
      expect({ slots, series: bounds.length, size, fits: worstPage(bounds, slots, size) <= 40_000 }).toEqual({
        slots,
        series: bounds.length,
        size,
        fits: true,
      });
    }
  });
});
