"""The English spaCy pipeline without the parts no component of ours reads.

Rasa's SpacyNLP loads the whole pipeline but its dependency parser. Of what is
left, the named-entity recogniser is half the cost (2.3 ms a message, 1.1 ms
without it) and nothing reads its output: the tokenizer takes words, lemmas and
tags, the featurizer the word vectors, and DIET finds the entities. Tokens,
lemmas, tags and vectors are the same with and without it
(tests/test_spacy_language.py).
"""
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

UNUSED_PIPES = ("ner",)


# Rasa finds a model loader's provider by class name (model_from), so this
# class provides its own; components that require SpacyNLP accept a subclass.
@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER,
     DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False, model_from="SpacyNLPWithoutEntities")
class SpacyNLPWithoutEntities(SpacyNLP):
    """SpacyNLP with the pipeline's named-entity recogniser turned off."""

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        model = SpacyNLP.load_model(spacy_model_name)
        for name in UNUSED_PIPES:
            if name in model.model.pipe_names:
                model.model.disable_pipe(name)
        return model
