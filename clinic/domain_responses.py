"""The assistant's responses as its domain files (domain/) write them, read
without Rasa (the action server doesn't load it), and the phrases they suggest."""
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, List

import yaml

QUOTED = re.compile(r'["“]([^"“”]+)["”]')
# Words of politeness a patient may put around a phrase.
FILLERS = {"ok", "okay", "oh", "please", "pls", "thanks", "thank", "you", "actually", "just", "so"}


def domain_responses(domain_dir: Path) -> Dict[str, List[Dict[str, Any]]]:
    """Every response of the domain files in `domain_dir`, by name."""
    responses: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(domain_dir.rglob("*")):
        if path.suffix in (".yml", ".yaml"):
            responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                             .get("responses") or {})
    return responses


def suggested_phrases(response: Dict[str, Any]) -> List[str]:
    """The phrases a response variant tells the patient to say (in double
    quotes) or click (its buttons' titles)."""
    quoted = QUOTED.findall(response.get("text") or "")
    titles = [button["title"] for button in response.get("buttons") or [] if button.get("title")]
    return quoted + titles


def phrase_key(text: str) -> str:
    """A phrase as compared: its words, without politeness, case or spaces
    ("OK, nevermind!" and "never mind" are the same)."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    return "".join(word for word in words if word not in FILLERS)
