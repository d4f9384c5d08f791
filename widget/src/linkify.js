// Splits message text into plain text and links. Only http(s) URLs and phone
// numbers become links; the caller builds every node with textContent, so
// nothing in a message is ever parsed as HTML.

const URL_PATTERN = /https?:\/\/[^\s<>"']+/gi;
// Digits in groups separated by spaces, dots, dashes or brackets, optionally
// starting with "+"; the digit count is checked below. Group 1 is what comes
// before the number (no lookbehind: Safari before 16.4 can't parse it).
const PHONE_PATTERN = /(^|[^\w+])(\+?\(?\d[\d ().\-\u00a0]{5,}\d)(?!\w)/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}$/;

function cleanUrl(candidate) {
  let url = candidate.replace(TRAILING_PUNCTUATION, "");
  // Keep a closing bracket that belongs to the URL, e.g. a Wikipedia link.
  const rest = candidate.slice(url.length);
  if (rest.startsWith(")") && url.includes("(")) url += ")";
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  } catch {
    return null;
  }
  return url;
}

function phoneHref(candidate) {
  const digits = candidate.replace(/\D/g, "");
  if (digits.length < 7 || digits.length > 15 || DATE_LIKE.test(candidate)) return null;
  return `tel:${candidate.trim().startsWith("+") ? "+" : ""}${digits}`;
}

function findLinks(text) {
  const found = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = cleanUrl(match[0]);
    if (url) found.push({ start: match.index, end: match.index + url.length, href: url, external: true });
  }
  const insideUrl = (index) => found.some((link) => index >= link.start && index < link.end);
  for (const match of text.matchAll(PHONE_PATTERN)) {
    const start = match.index + match[1].length;
    const href = phoneHref(match[2]);
    if (href && !insideUrl(start)) found.push({ start, end: start + match[2].length, href, external: false });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** [{type: "text", text}] and [{type: "link", text, href, external}] in order. */
export function linkTokens(text) {
  const tokens = [];
  let position = 0;
  for (const link of findLinks(text)) {
    if (link.start < position) continue;
    if (link.start > position) tokens.push({ type: "text", text: text.slice(position, link.start) });
    tokens.push({ type: "link", text: text.slice(link.start, link.end), href: link.href, external: link.external });
    position = link.end;
  }
  if (position < text.length) tokens.push({ type: "text", text: text.slice(position) });
  return tokens;
}
