"""Switch a running Rasa server to another model while it keeps answering.

Rasa's own `PUT /model` loads the new model on the server's event loop: for the
time it takes (about 45 s with the sentence model on a busy 2-core machine) the
server answers no one, and chats time out. This endpoint, added to the Rasa
server as a channel (credentials.yml, Rasa's extension point for routes), loads
the new model in a worker thread while the current one keeps answering, then
swaps it in: no message waits for the load, open conversations carry on (they
live in the tracker store) and continue with the new model.

It loads only models our training command built and signed, from the models
folder, unchanged since (clinic/model_signing.py).
It needs the Rasa API token, like Rasa's own HTTP API. Rasa's own routes that load,
unload or train a model from a path or URL (PUT and DELETE /model, /model/train,
/model/test/*) are refused, token or not: a model file is pickled code, so only
files training recorded may be loaded.

    POST /webhooks/model_loader/load?token=<RASA_API_TOKEN>
    {"model_file": "/path/to/models/<version>.tar.gz"}
    -> 200 {"model_file": "<version>.tar.gz", "seconds": 41.2}
"""
import asyncio
import hmac
import logging
import time
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic import long_lived_heap, nlu_process, settings
from clinic.model_signing import UntrustedModel, trusted_model

logger = logging.getLogger(__name__)


# Rasa's routes (rasa/server.py) that take a model from a path or URL, or unload it.
RASA_MODEL_ROUTES = {("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
                     ("POST", "/model/test/stories"), ("POST", "/model/test/intents")}


def _authorised(request: Request) -> bool:
    expected = settings.rasa_api_token()
    given = request.args.get("token") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _error(status: HTTPStatus, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


async def refuse_rasa_model_routes(request: Request) -> Optional[HTTPResponse]:
    """Sanic request middleware: Rasa's model-loading routes answer 403."""
    if (request.method, request.path.rstrip("/")) in RASA_MODEL_ROUTES:
        return _error(HTTPStatus.FORBIDDEN, "models are switched with `make promote` "
                      "(POST /webhooks/model_loader/load), which loads only trained models")
    return None


class ModelLoaderInput(InputChannel):
    """Not a patient channel: the route that switches the server's model."""

    @classmethod
    def name(cls) -> Text:
        return "model_loader"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("clinic_model_loader", __name__)

        @blueprint.listener("before_server_start")
        async def refuse_rasa_model_loading(app: Sanic, _loop: Any) -> None:
            # Middleware of the whole app: a blueprint's own covers only its routes.
            app.register_middleware(refuse_rasa_model_routes, "request")

        @blueprint.listener("after_server_start")
        async def freeze_loaded_model(_app: Sanic, _loop: Any) -> None:
            # Rasa loads the model before the server starts (before_server_start).
            long_lived_heap.freeze()
        # One switch at a time: two promotions at once must not interleave.
        switching = asyncio.Lock()

        @blueprint.route("/load", methods=["POST"])
        async def load(request: Request) -> HTTPResponse:
            if not _authorised(request):
                return _error(HTTPStatus.UNAUTHORIZED, "the Rasa API token is required")
            try:
                body = request.json
            except InvalidUsage:  # malformed JSON
                body = None
            try:
                model = trusted_model(body.get("model_file") if isinstance(body, dict) else None)
            except UntrustedModel as error:
                return _error(HTTPStatus.BAD_REQUEST, str(error))
            async with switching:
                started = time.monotonic()
                agent = request.app.ctx.agent
                replaced = agent.processor
                long_lived_heap.thaw()  # the old model is collected once replaced
                try:
                    # Agent.load_model builds the new processor, then swaps it in;
                    # until then the current one answers every message.
                    await asyncio.get_running_loop().run_in_executor(
                        None, agent.load_model, str(model))
                finally:
                    long_lived_heap.freeze()
                if agent.processor is not replaced:
                    nlu_process.retire(replaced)
                seconds = round(time.monotonic() - started, 1)
            logger.info("Switched to model %s in %.1f s", model.name, seconds)
            return response.json({"model_file": model.name, "seconds": seconds})

        return blueprint
