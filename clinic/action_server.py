"""`python -m clinic.action_server --port N`: the action server (rasa_sdk's own
app, `rasa run actions`) on ACTION_SERVER_HOST only (default the loopback), for
Rasa's calls only.

Every request but GET /health needs `Authorization: Bearer <ACTION_SERVER_TOKEN>`,
which Rasa sends (endpoints.yml), else 401: the actions store handoffs and
callbacks and reach patients' chats with Rasa's API token. A request body must
be plain JSON (rasa_sdk would inflate a deflate body without a limit, and Rasa
sends none unless COMPRESS_ACTION_SERVER_REQUEST is set) of at most
ACTION_SERVER_MAX_REQUEST_BYTES. No CORS: no browser calls it.
"""
import argparse
import hmac
import logging
import sys
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic import settings

logger = logging.getLogger(__name__)

PUBLIC = ("GET", "/health")  # the launchers' health checks


def refusal(request: Request, token: str) -> Optional[HTTPResponse]:
    """Why the request is refused, as the answer; None to serve it."""
    if (request.method, request.path) == PUBLIC:
        return None
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.encode(), token.encode()):
        return response.json({"error": "A valid action server token is required."}, status=401,
                             headers={"WWW-Authenticate": "Bearer"})
    if request.headers.get("content-encoding", "identity").lower() != "identity":
        return response.json({"error": "Compressed request bodies are not accepted."},
                             status=415)
    if request.body and request.content_type.split(";")[0].strip().lower() != "application/json":
        return response.json({"error": "The request body must be application/json."},
                             status=415)
    return None


def secured_app(actions: str, token: str, max_request_bytes: int) -> Sanic:
    app = create_app(actions, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = max_request_bytes

    @app.on_request
    async def check(request: Request) -> Optional[HTTPResponse]:
        return refusal(request, token)

    # Sanic's own errors (413, 404, bad JSON) with their status: rasa_sdk's
    # catch-all handler would make each a 500 echoing the request body.
    @app.exception(SanicException)
    async def sanic_error(request: Request, error: SanicException) -> HTTPResponse:
        return response.json({"error": str(error)}, status=error.status_code)

    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", default="actions", help="package of the actions")
    parser.add_argument("--port", type=int, default=settings.action_server_port())
    parser.add_argument("--logging-config-file", default=None)
    utils.add_logging_level_option_arguments(parser)
    args = parser.parse_args(argv)
    try:
        token = settings.action_server_token()
        host, max_bytes = settings.action_server_host(), settings.action_server_max_request_bytes()
    except (RuntimeError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    # As rasa_sdk's own command line (rasa_sdk/__main__.py).
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), None,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    app = secured_app(args.actions, token, max_bytes)
    logger.info("Action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
