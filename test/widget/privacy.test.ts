import { beforeEach, describe, expect, test } from 'vitest';
import { clean, isCardNumber, withhold } from '../../widget/core/privacy.ts';
import { cleanPage, fresh, stored } from './helpers.ts';

beforeEach(cleanPage);

describe('isCardNumber', () => {
  test.each([
    ['4111111111111111', true], // Visa test number
    ['4111 1111 1111 1111', true],
    ['4111-1111-1111-1111', true],
    ['5555555555554444', true], // Mastercard
    ['378282246310005', true], // Amex, 15 digits
    ['4222222222222', true], // 13 digits
    ['6011111111111117', true], // Discover
    ['4111111111111112', false], // fails Luhn
    ['411111111111', false], // 12 digits
    ['41111111111111111111', false], // 20 digits
    ['4111.1111.1111.1111', false], // dots are not allowed
    ['', false],
    ['hello', false],
    ['+1 555 0100', false],
  ])('%s → %s', (v, want) => {
    expect(isCardNumber(v)).toBe(want);
  });
});
describe('clean', () => {
  test.each([
    ['no query: unchanged', 'https://shop.test/a#b', 'https://shop.test/a#b'],
    [
      'nothing secret: unchanged byte for byte',
      'https://shop.test/s?q=red%20shoes&utm_source=x&plan=pro',
      'https://shop.test/s?q=red%20shoes&utm_source=x&plan=pro',
    ],
    [
      'a GET form’s secrets are cut, the rest kept',
      'https://shop.test/thanks?email=a%40b.co&password=hunter2&cardnumber=4242+4242+4242+4242&name=Ada',
      'https://shop.test/thanks?email=a%40b.co&name=Ada',
    ],
    [
      'token and secret names',
      'https://x.test/?reset_token=abc&client_secret=s&ok=1',
      'https://x.test/?ok=1',
    ],
    [
      'cc, cvv, ssn, otp, iban',
      'https://x.test/?cc_exp=1&cvv=2&ssn=3&otp=4&iban=5&account=6',
      'https://x.test/?account=6',
    ],
    [
      'a card number under an innocent name',
      'https://x.test/?ref=4111111111111111&n=7',
      'https://x.test/?n=7',
    ],
    [
      'input-type words are fine as parameter names',
      'https://x.test/?submit=1&hidden=2&file=3',
      'https://x.test/?submit=1&hidden=2&file=3',
    ],
    ['the hash is kept', 'https://x.test/p?pass=1#top', 'https://x.test/p#top'],
    ['not a URL: as is', 'nonsense', 'nonsense'],
    ['empty (no referrer): as is', '', ''],
  ])('%s', (_name, url, want) => {
    expect(clean(url)).toBe(want);
  });

  test('fields a form left out are cut from later URLs, also after a reload', async () => {
    withhold(['note', 'csrf']);
    expect(clean('https://x.test/thanks?note=private&csrf=tok&name=Ada')).toBe(
      'https://x.test/thanks?name=Ada',
    );
    expect(stored('tp_x')).toEqual(['note', 'csrf']);
    const { privacy } = await fresh();
    expect(privacy.clean('https://x.test/?csrf=tok&a=1')).toBe('https://x.test/?a=1');
  });

  test('the withheld list keeps the 50 newest names, without repeats', () => {
    withhold(Array.from({ length: 40 }, (_, i) => `old${i}`));
    withhold(['old1', ...Array.from({ length: 20 }, (_, i) => `new${i}`)]);
    const names: string[] = stored('tp_x');
    expect(names).toHaveLength(50);
    expect(new Set(names).size).toBe(50);
    expect(names.slice(0, 2)).toEqual(['old1', 'new0']);
    expect(names).not.toContain('old39');
  });
});
