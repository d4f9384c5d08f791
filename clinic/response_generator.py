"""Rasa's responses from the loaded model's domain (its own TemplatedNaturalLanguageGenerator),
with `{emergency_number}` filled in from settings/clinic.yml on each use, and the
emergency guidance marked for the chat widget (clinic/emergency.py).

endpoints.yml and endpoints.production.yml name it as the `nlg`; Rasa hands
it each loaded model's responses, as it does its own.
"""
from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from clinic import emergency

PLACEHOLDER = "{" + emergency.PLACEHOLDER + "}"


class ClinicResponses(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    def _names_the_number(self, utter_action: Text) -> bool:
        return any(PLACEHOLDER in (variant.get("text") or "")
                   for variant in self.responses.get(utter_action) or [])

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker,
                       output_channel: Text, **kwargs: Any) -> Optional[Dict[Text, Any]]:
        number = None
        if self._names_the_number(utter_action):
            number = emergency.configured_number()
            kwargs[emergency.PLACEHOLDER] = emergency.call_phrase(number)
        message = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if message is not None and utter_action == emergency.RESPONSE:
            # Rasa adds utter_action itself; the number is for the widget's call link.
            message.update({key: value for key, value in emergency.metadata(number).items()
                            if key != "utter_action"})
        return message
