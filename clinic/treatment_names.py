"""Which treatment a patient names: the `treatment` lookup table, matched exactly.

The content team lists every name patients use for a treatment in the lookup
table `treatment` (data/nlu/treatments.yml) and maps each to the treatment's page
with a synonym ("PRP" -> "prp injections"). `TreatmentNameExtractor` finds those
names in a message as `treatment` entities; `EntitySynonymMapper` then turns them
into the page's name, which the answer action looks up in content/treatments/.

It is Rasa's RegexEntityExtractor, limited to the lookup tables named in its
`lookup_tables` setting: the stock component only uses lookup tables whose name is
an annotated entity in the training data (treatment names are not annotated, so
that a handful of new examples is enough for a new page), and would also turn the
`condition` lookup table into entities next to the entity extractor's.
"""
from typing import Any, Dict, List, Text

import rasa.nlu.utils.pattern_utils as pattern_utils
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.documents import TREATMENT_ENTITY


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class TreatmentNameExtractor(RegexEntityExtractor):
    """Entities from the lookup tables named in `lookup_tables`, nothing else."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**RegexEntityExtractor.get_default_config(),
                "use_regexes": False, "lookup_tables": [TREATMENT_ENTITY]}

    def train(self, training_data: TrainingData) -> Resource:
        patterns: List[Dict[Text, Text]] = pattern_utils.extract_patterns(
            training_data,
            use_lookup_tables=True,
            use_regexes=False,
            use_only_entities=False,
            use_word_boundaries=self._config["use_word_boundaries"],
        )
        self.patterns = [p for p in patterns if p["name"] in self._config["lookup_tables"]]
        self.persist()
        return self._resource
