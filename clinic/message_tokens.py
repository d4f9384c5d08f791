"""How much of a message the NLU pipeline reads: its first NLU_MAX_TOKENS tokens.

A message's reading costs by its tokens, not its characters: the sentence model
and the entity extractor grow with the token count, an emoji is a token, and a
run of CJK characters (one "word" between spaces) costs the letter n-grams one
set per character. So here a word of a script written
with spaces is one token, and any other character that is not a space (a CJK
character, an emoji, a punctuation mark) is a token of its own: the count is
never below what the pipeline pays for. The message is stored whole, and red
flags are checked on all of it (clinic/nlu_process.py).
"""
import re
from itertools import islice

# CJK ideographs and punctuation, kana, hangul, full-width forms.
CJK = "\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
TOKEN = re.compile(rf"[^\W{CJK}]+|\S")


def first_tokens(text: str, limit: int) -> str:
    """`text` up to the end of its `limit`th token; all of it when it has no more."""
    tokens = list(islice(TOKEN.finditer(text), limit + 1))
    return text if len(tokens) <= limit else text[:tokens[limit - 1].end()]
