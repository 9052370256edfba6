import { beforeEach, describe, expect, test } from 'vitest';
import { clickProperties, formProperties } from '../../widget/core/autocapture.ts';
import { cleanPage, fresh, stored } from './helpers.ts';

beforeEach(cleanPage);

const form = (html: string, attrs = 'id="signup" name="signup" action="/subscribe"'): HTMLFormElement => {
  document.body.innerHTML = `<form ${attrs}>${html}</form>`;
  return document.querySelector('form')!;
};

describe('formProperties', () => {
  test.each<[string, string, Record<string, string>, string?]>([
    [
      'plain text fields',
      '<input name="first" value="Ada"><textarea name="msg">Hi there</textarea>',
      { first: 'Ada', msg: 'Hi there' },
    ],
    [
      'values are trimmed, empty fields left out',
      '<input name="a" value="  x  "><input name="b" value="  ">',
      { a: 'x' },
    ],
    ['a field without a name is keyed by id', '<input id="company" value="Acme">', { company: 'Acme' }],
    ['a field with neither is left out', '<input value="orphan">', {}],
    ['password fields never', '<input type="password" name="pw" value="hunter2">', {}],
    [
      'hidden fields never',
      '<input type="hidden" name="csrf" value="abc"><input name="x" value="1">',
      { x: '1' },
    ],
    ['file inputs never', '<input type="file" name="cv">', {}],
    [
      'buttons never',
      '<input type="submit" name="go" value="Send"><button name="b" value="v">B</button>',
      {},
    ],
    [
      'data-tp-ignore on the field',
      '<input name="note" value="private" data-tp-ignore><input name="ok" value="1">',
      { ok: '1' },
    ],
    ['data-tp-ignore on an ancestor', '<div data-tp-ignore><input name="note" value="private"></div>', {}],
    ['card-named field', '<input name="card_number" value="1234">', {}],
    ['cc-prefixed field', '<input name="cc-exp" value="12/30"><input name="ccnum" value="99">', {}],
    [
      'cvv / cvc / csc',
      '<input name="cvv" value="123"><input name="cvc2" value="1"><input name="csc" value="2">',
      {},
    ],
    [
      'iban, ssn',
      '<input name="iban" value="DE89370400440532013000"><input name="user_ssn" value="078-05-1120">',
      {},
    ],
    [
      'secret-looking names',
      '<input name="api_token" value="t"><input name="client_secret" value="s"><input name="passcode" value="p">',
      {},
    ],
    ['autocomplete cc-number', '<input name="n" autocomplete="cc-number" value="4111">', {}],
    ['autocomplete one-time-code', '<input name="code" autocomplete="one-time-code" value="123456">', {}],
    ['an id that says password', '<input id="password2" value="x">', {}],
    ['a card-like value in an innocent field', '<input name="notes" value="4111 1111 1111 1111">', {}],
    [
      'a number that fails Luhn is kept',
      '<input name="order" value="4111111111111112">',
      { order: '4111111111111112' },
    ],
    ['"account" is not "cc"', '<input name="account" value="acme">', { account: 'acme' }],
    [
      'unchecked boxes left out, checked joined',
      '<input type="checkbox" name="t" value="a" checked><input type="checkbox" name="t" value="b"><input type="checkbox" name="t" value="c" checked>',
      { t: 'a,c' },
    ],
    [
      'radio: the checked one',
      '<input type="radio" name="plan" value="free"><input type="radio" name="plan" value="pro" checked>',
      { plan: 'pro' },
    ],
    ['select', '<select name="size"><option>S</option><option selected>M</option></select>', { size: 'M' }],
    [
      'email field: type=email',
      '<input type="email" name="contact" value=" ada@example.com ">',
      { contact: 'ada@example.com' },
      'ada@example.com',
    ],
    [
      'email field: by name',
      '<input name="work_email" value="ada@acme.test">',
      { work_email: 'ada@acme.test' },
      'ada@acme.test',
    ],
    [
      'email field: by autocomplete',
      '<input name="x" autocomplete="email" value="a@b.co">',
      { x: 'a@b.co' },
      'a@b.co',
    ],
    [
      'an email-named field that holds no email',
      '<input name="email" value="not an email">',
      { email: 'not an email' },
    ],
    [
      'an email in a field not about email is not the email',
      '<input name="msg" value="a@b.co">',
      { msg: 'a@b.co' },
    ],
    [
      'the first email wins',
      '<input type="email" name="a" value="a@x.co"><input type="email" name="b" value="b@x.co">',
      { a: 'a@x.co', b: 'b@x.co' },
      'a@x.co',
    ],
  ])('%s', (_name, html, fields, email) => {
    const p = formProperties(form(html));
    expect(p.fields).toEqual(fields);
    expect(p.email).toBe(email);
  });

  test('form id, name and action come from attributes, even when fields shadow them', () => {
    const p = formProperties(
      form('<input name="id" value="1"><input name="action" value="2"><input name="name" value="3">'),
    );
    expect(p).toMatchObject({ formId: 'signup', formName: 'signup', action: '/subscribe' });
    expect(p.fields).toEqual({ id: '1', action: '2', name: '3' });
  });

  test('a form without attributes', () => {
    expect(formProperties(form('', ''))).toEqual({ fields: {} });
  });
});

describe('clickProperties', () => {
  const click = (html: string, selector = '#t') => {
    document.body.innerHTML = html;
    return clickProperties(document.querySelector(selector));
  };

  test.each([
    [
      'a link',
      '<a id="t" class="nav  cta" href="/pricing">  See\n   pricing </a>',
      { tag: 'a', text: 'See pricing', href: `${location.origin}/pricing`, id: 't', classes: 'nav  cta' },
    ],
    ['a button', '<button id="t">Buy now</button>', { tag: 'button', text: 'Buy now', id: 't' }],
    [
      'a span inside a button: the button',
      '<button id="b"><span id="t">Go</span></button>',
      { tag: 'button', text: 'Go', id: 'b' },
    ],
    [
      'an image inside a link',
      '<a href="https://x.test/a"><img id="t" alt="logo"></a>',
      { tag: 'a', text: '', href: 'https://x.test/a' },
    ],
    ['role=button', '<div role="button" id="t">Open</div>', { tag: 'div', text: 'Open', id: 't' }],
    [
      'submit input: never its value',
      '<input type="submit" id="t" value="secret-ish">',
      { tag: 'input', text: '', id: 't' },
    ],
    [
      'button input: its aria-label',
      '<input type="button" id="t" value="v" aria-label="Next">',
      { tag: 'input', text: 'Next', id: 't' },
    ],
    [
      'a form’s submit button (its click comes before Form Submitted)',
      '<form><button id="t">Sign up</button></form>',
      { tag: 'button', text: 'Sign up', id: 't' },
    ],
    [
      'long text is capped at 100',
      `<button id="t">${'w '.repeat(80)}</button>`,
      { tag: 'button', text: 'w '.repeat(50), id: 't' },
    ],
  ])('%s', (_name, html, want) => {
    expect(click(html)).toEqual(want);
  });

  test.each([
    ['plain text', '<p id="t">hello</p>'],
    ['a text input', '<input id="t" value="typed by the visitor">'],
    ['a textarea', '<textarea id="t">typed</textarea>'],
    ['inside data-tp-ignore', '<div data-tp-ignore><button id="t">x</button></div>'],
    ['the document itself', '<p></p>'],
  ])('%s: not captured', (_name, html) => {
    document.body.innerHTML = html;
    expect(clickProperties(document.querySelector('#t') ?? document)).toBeUndefined();
  });

  test('a typed value inside a clickable element never shows up', () => {
    document.body.innerHTML = '<div role="button" id="t">Search <input id="q"></div>';
    (document.querySelector('#q') as HTMLInputElement).value = 'my secret query';
    const p = click(document.body.innerHTML, '#q');
    expect(JSON.stringify(p)).not.toContain('secret');
  });
});

describe('listeners', () => {
  test('a click on a link becomes an Element Clicked event', async () => {
    const { autocapture, queue } = await fresh();
    document.body.innerHTML = '<a href="#x" id="l">Docs</a>';
    document.addEventListener('click', autocapture.onClick);
    try {
      (document.querySelector('#l') as HTMLElement).click();
    } finally {
      document.removeEventListener('click', autocapture.onClick);
    }
    expect(queue.q).toHaveLength(1);
    expect(queue.q[0]).toMatchObject({
      type: 'track',
      event: 'Element Clicked',
      properties: { tag: 'a', text: 'Docs' },
    });
  });

  test('a submitted form with an email: Form Submitted with the email (the collector identifies by it), no identify', async () => {
    const { autocapture, queue, ids } = await fresh();
    const f = form(
      '<input type="email" name="email" value="ada@example.com"><input type="password" name="pw" value="hunter2">',
    );
    autocapture.onSubmit({ target: f } as unknown as Event);
    expect(queue.q.map((e) => [e.type, e.event])).toEqual([['track', 'Form Submitted']]);
    expect(queue.q[0].properties).toEqual({
      formId: 'signup',
      formName: 'signup',
      action: '/subscribe',
      fields: { email: 'ada@example.com' },
      email: 'ada@example.com',
    });
    expect(JSON.stringify(stored('tp_q'))).not.toContain('hunter2');
    // one place decides who the visitor is: the collector, from the event (collector/identity/identifiers.ts)
    expect(ids.user()).toEqual({ traits: {} });
  });

  test.each([
    ['data-tp-ignore on the form', 'data-tp-ignore'],
    ['the UI chunk’s own form', 'data-touchpoint-form'],
  ])('%s is not captured', async (_name, attr) => {
    const { autocapture, queue } = await fresh();
    autocapture.onSubmit({ target: form('<input name="a" value="1">', attr) } as unknown as Event);
    expect(queue.q).toEqual([]);
  });
});
