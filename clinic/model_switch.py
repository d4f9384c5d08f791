"""Put a model live on every running Rasa server.

Each server loads the new model beside the running one, which keeps answering,
and then swaps them (clinic/model_loading.py). The servers are switched one after
another, so that with several of them only one at a time spends its CPU loading.
"""
import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from clinic.rasa_api import RasaApi, RasaApiError, RasaUnreachable


@dataclass
class SwitchOutcome:
    switched: Dict[str, float] = field(default_factory=dict)  # URL -> seconds it took
    not_running: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)  # URL -> what went wrong


class RasaServers:
    def __init__(self, urls: List[str], token: str) -> None:
        self.urls = urls
        self.token = token

    def load(self, model: Path) -> SwitchOutcome:
        return asyncio.run(self._load(model))

    async def _load(self, model: Path) -> SwitchOutcome:
        outcome = SwitchOutcome()
        for url in self.urls:
            started = time.monotonic()
            try:
                # The path as the server reads it: servers on other machines
                # need the models folder at the same path.
                await RasaApi(url, self.token).load_model(str(model.resolve()))
                outcome.switched[url] = time.monotonic() - started
            except RasaUnreachable:
                outcome.not_running.append(url)
            except RasaApiError as error:
                outcome.failed[url] = str(error)
        return outcome
