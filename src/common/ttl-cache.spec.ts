import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('serves a value until its TTL passes, then forgets it', () => {
    let now = 1000;
    const c = new TtlCache<string>(500, 10, () => now);
    c.set('a', 'A');
    expect(c.get('a')).toBe('A');
    now = 1499;
    expect(c.get('a')).toBe('A');
    now = 1500;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('drops an entry on delete and evicts the oldest beyond the cap', () => {
    const c = new TtlCache<number>(10_000, 3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    c.delete('b');
    expect(c.get('b')).toBeUndefined();
    c.set('d', 4);
    c.set('e', 5);
    expect(c.size).toBe(3);
    expect(c.get('a')).toBeUndefined();
    expect([c.get('c'), c.get('d'), c.get('e')]).toEqual([3, 4, 5]);
  });

  it('counts the age of an entry from the time given to set and reads with the time given to get', () => {
    const c = new TtlCache<string>(1000, 10, () => 5000);
    c.set('a', 'A', 4200);
    expect(c.get('a', 5199)).toBe('A');
    expect(c.get('a', 5200)).toBeUndefined();
  });
});
