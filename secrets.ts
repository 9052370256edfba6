// What is never kept, shared by tp.js (form fields, URLs) and the collector (stored URLs): secret fields by name
// and payment card numbers by value. A module of its own with no imports, so tp.js takes only these few bytes.

/**
 * Tested against "type name id autocomplete" of a field, or a query parameter's name: input types hidden, file,
 * submit, button, reset, image (prefixes suffice: no other type starts so), then names of cards, government ids,
 * one-time codes and secrets anywhere (`pass` anywhere also covers the password type).
 */
export const SECRET =
  /^(hid|fil|sub|but|res|ima)|(^|[^a-z])(cc|ssn|otp)|card|cv[vc]|csc|iban|pass|secret|token|one-time/i;

/** Looks like a payment card number: 13-19 digits (spaces and dashes allowed) passing the Luhn check. */
export function isCardNumber(v: string): boolean {
  const d = v.replace(/[ -]/g, '');
  let sum = 0;
  // right to left, every second digit doubled (digit sums of 0,2,..,18 looked up)
  for (let i = d.length, odd = 0; i--; odd ^= 1) sum += odd ? 2 * +d[i] - 9 * +(+d[i] > 4) : +d[i];
  return /^\d{13,19}$/.test(d) && sum % 10 === 0;
}
