import { saslprep } from '../src/auth';

describe('saslprep (RFC 4013, as PostgreSQL applies it)', () => {
  test('RFC 4013 §3 examples', () => {
    expect(saslprep('I\u00ADX')).toBe('IX'); // soft hyphen mapped to nothing
    expect(saslprep('user')).toBe('user');
    expect(saslprep('USER')).toBe('USER'); // case preserved
    expect(saslprep('\u00AA')).toBe('a'); // NFKC
    expect(saslprep('\u2168')).toBe('IX'); // NFKC
  });

  test('RFC 4013 §3 error examples: PostgreSQL falls back to the raw string', () => {
    expect(saslprep('a\u0007é')).toBe('a\u0007é'); // prohibited character
    expect(saslprep('\u0627\u0031')).toBe('\u0627\u0031'); // bidi: RandALCat not last
  });

  test('pure ASCII is untouched, even control characters and the empty string', () => {
    expect(saslprep('\u0007')).toBe('\u0007');
    expect(saslprep('')).toBe('');
    expect(saslprep('pa ss\tword')).toBe('pa ss\tword');
  });

  test('mapping', () => {
    expect(saslprep('x\u00A0y')).toBe('x y'); // non-ASCII space
    expect(saslprep('x\u3000y')).toBe('x y');
    expect(saslprep('x\u200By')).toBe('x y'); // in both C.1.2 and B.1: PostgreSQL maps it to a space
    expect(saslprep('a\uFE0Fb')).toBe('ab'); // variation selector
    expect(saslprep('\u00AD')).toBe('\u00AD'); // empty after mapping: raw
  });

  test('normalisation', () => {
    expect(saslprep('e\u0301')).toBe('é');
    expect(saslprep('\uFB01')).toBe('fi');
    expect(saslprep('\u{1D400}')).toBe('A'); // astral plane
  });

  test('prohibited and unassigned (Unicode 3.2) code points give the raw string', () => {
    expect(saslprep('é\uE000')).toBe('é\uE000'); // private use
    expect(saslprep('é\u0221')).toBe('é\u0221'); // assigned only in Unicode 4.0
    expect(saslprep('é\uD800')).toBe('é\uD800'); // lone surrogate
    expect(saslprep('é\u{E0041}')).toBe('é\u{E0041}'); // tag character
  });

  test('bidi checks run on the mapped input before NFKC, like PostgreSQL (not the RFC)', () => {
    expect(saslprep('\u05D0\u05D1')).toBe('\u05D0\u05D1');
    expect(saslprep('\u05D0a\u05D1')).toBe('\u05D0a\u05D1'); // RandALCat with LCat: raw
    // U+2122 TRADE MARK SIGN is not LCat, its NFKC form "TM" is: PostgreSQL accepts this.
    expect(saslprep('\u05D0\u2122\u05D0')).toBe('\u05D0TM\u05D0');
  });

  test('long input does not hit argument-count limits', () => {
    expect(saslprep('é'.repeat(100_000))).toHaveLength(100_000);
  });
});
