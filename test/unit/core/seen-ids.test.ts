import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../../functions/core/seen-ids.ts';

describe('SeenIds', () => {
  it('says whether an id was seen before', () => {
    const seen = new SeenIds();
    expect(seen.check('2611.00001')).toBe(false);
    expect(seen.check('2611.00002')).toBe(false);
    expect(seen.check('2611.00001')).toBe(true);
  });

  it('tells distinct ids apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 2000 }), (ids) => {
        const seen = new SeenIds();
        return ids.every((id) => !seen.check(id)) && ids.every((id) => seen.check(id));
      }),
    );
  });
});
