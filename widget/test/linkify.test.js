import assert from "node:assert/strict";
import { test } from "node:test";

import { linkTokens } from "../src/linkify.js";

const links = (text) => linkTokens(text).filter((token) => token.type === "link");

test("plain text stays one text token, markup included", () => {
  assert.deepEqual(linkTokens('<img src=x onerror="alert(1)"> hello'), [
    { type: "text", text: '<img src=x onerror="alert(1)"> hello' },
  ]);
});

test("http and https URLs become external links without trailing punctuation", () => {
  assert.deepEqual(links("See https://example.org/prolotherapy. Or http://example.org/a?b=1,"), [
    { type: "link", text: "https://example.org/prolotherapy", href: "https://example.org/prolotherapy", external: true },
    { type: "link", text: "http://example.org/a?b=1", href: "http://example.org/a?b=1", external: true },
  ]);
});

test("other schemes are text", () => {
  assert.deepEqual(links("javascript:alert(1) data:text/html,x ftp://example.org mailto:a@b.org"), []);
});

test("a closing bracket belongs to the URL only when it opened there", () => {
  assert.equal(links("(see https://example.org/page)")[0].href, "https://example.org/page");
  assert.equal(links("https://en.wikipedia.org/wiki/Pain_(disambiguation)")[0].href,
    "https://en.wikipedia.org/wiki/Pain_(disambiguation)");
});

test("phone numbers become tel: links", () => {
  assert.deepEqual(links("Call us on +1 555 0100 or (555) 123-4567."), [
    { type: "link", text: "+1 555 0100", href: "tel:+15550100", external: false },
    { type: "link", text: "(555) 123-4567", href: "tel:5551234567", external: false },
  ]);
});

test("short numbers, dates and times are not phone numbers", () => {
  assert.deepEqual(links("Each session takes 15 to 30 minutes; closed 2026-12-25, open 09:00-17:00, 1000 characters."), []);
});

test("the text around links is kept in order", () => {
  const text = "Call +1 555 0100, or see https://example.org.";
  assert.equal(linkTokens(text).map((token) => token.text).join(""), text);
});
