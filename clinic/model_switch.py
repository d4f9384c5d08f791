"""Put a model live on every running Rasa server, through Rasa's HTTP API.

The servers are switched one after another, so that behind a load balancer the
others keep answering while one loads the new model.
"""
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from clinic.rasa_api import RasaApi, RasaApiError, RasaUnreachable


@dataclass
class SwitchOutcome:
    switched: List[str] = field(default_factory=list)
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
            try:
                # The path as the server reads it: servers on other machines
                # need the models folder at the same path.
                await RasaApi(url, self.token).load_model(str(model.resolve()))
                outcome.switched.append(url)
            except RasaUnreachable:
                outcome.not_running.append(url)
            except RasaApiError as error:
                outcome.failed[url] = str(error)
        return outcome
