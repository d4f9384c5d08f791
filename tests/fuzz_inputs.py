"""Malformed input for tests/test_fuzz.py, from a seeded random generator: odd
Unicode (control characters, lone surrogates, right-to-left marks, zero-width
and astral characters), wrong JSON types, broken JSON and encodings, huge bodies."""
import json
import random
from typing import Any, Dict, Tuple

ODD_CHARACTERS = ["\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u200b", "\u200e", "\u202e",
                  "\u2028", "\ufeff", "\ufffd", "\ud800", "\udfff", "\U0001F600", "\U0010FFFF",
                  "'", '"', "\\", "<", ">", "&", "%", "{", "}", "/", "..", "\n", "\r", "\t"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain",
                 "multipart/form-data; boundary=x", "multipart/form-data", "application/xml",
                 "application/json; charset=latin-1", "\u00e9/\u00e9", ""]


def text(rng: random.Random, longest: int = 400) -> str:
    """A string of odd characters and random code points (surrogates included)."""
    length = rng.choice([0, 1, 2, rng.randint(3, 40), rng.randint(0, longest)])
    return "".join(rng.choice(ODD_CHARACTERS) if rng.random() < 0.3
                   else chr(rng.randint(0, 0x10FFFF if rng.random() < 0.5 else 0x2FF))
                   for _ in range(length))


def value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type."""
    kinds = ["null", "bool", "int", "float", "text", "list", "object"][:5 if depth > 2 else 7]
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 2 ** 31, -(2 ** 63), 10 ** 30, rng.randint(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e-300, rng.random()])
    if kind == "text":
        return text(rng)
    if kind == "list":
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {text(rng, 20): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def encoded(rng: random.Random, data: Any) -> bytes:
    """`data` as JSON; sometimes with bytes that are not UTF-8, or cut short."""
    raw = json.dumps(data, ensure_ascii=rng.random() < 0.5, allow_nan=True).encode(
        "utf-8", "surrogatepass")
    if rng.random() < 0.15:
        raw = raw[:rng.randint(0, len(raw))]
    if rng.random() < 0.1:
        raw += bytes(rng.randint(0x80, 0xff) for _ in range(rng.randint(1, 8)))
    return raw


def garbage(rng: random.Random) -> bytes:
    return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 200)))


def body(rng: random.Random, fields: Dict[str, Any], huge: int) -> Tuple[bytes, str]:
    """A request body and its Content-Type: mostly `fields` with some values
    of a wrong type or left out, else broken JSON, form data, garbage or `huge`
    bytes."""
    kind = rng.random()
    if kind < 0.55:
        data = {name: (field if rng.random() < 0.6 else value(rng))
                for name, field in fields.items() if rng.random() < 0.9}
        if rng.random() < 0.2:
            data[text(rng, 20)] = value(rng)
        return encoded(rng, data), rng.choice(CONTENT_TYPES[:3])
    if kind < 0.7:
        return encoded(rng, value(rng)), rng.choice(CONTENT_TYPES)
    if kind < 0.8:
        form = "&".join(f"{text(rng, 10)}={text(rng, 30)}" for _ in range(rng.randint(0, 5)))
        return form.encode("utf-8", "surrogatepass"), rng.choice(CONTENT_TYPES)
    if kind < 0.98:
        return garbage(rng), rng.choice(CONTENT_TYPES)
    return b'{"message": "' + b"A" * huge + b'"}', "application/json"
