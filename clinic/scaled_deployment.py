"""The scaled deployment on one machine: several Rasa instances on
endpoints.production.yml (PostgreSQL tracker store, Redis lock store) and
several action servers behind nginx, with the web app, against the machine's
PostgreSQL and a Redis given by URL: `make run-scaled` starts one of its own,
with a password (clinic/redis_server.py).

`make run-scaled` runs it until Ctrl-C. The tests (tests/test_scaled_deployment.py)
and the load benchmark start it once, and stop, kill and restart its servers.
Patients' browsers reach only nginx's public address (the web app and Rasa's
socket.io channel); the Rasa instances listen on the loopback, where the
clinic's own software may also use their REST channel and HTTP API.
"""
import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from clinic import nginx_config, settings
from clinic.local_servers import (action_server_command, action_server_token, free_port,
                                  rasa_server_command, start_server, stop_server,
                                  wait_until_healthy, web_app_command)
from clinic.redis_server import RedisMissing, redis_binary, running_redis

PRODUCTION_ENDPOINTS = "endpoints.production.yml"
# Start and stop order: nginx last up and first down, so nothing routes to a
# server that isn't there.
STOP_ORDER = ("nginx", "rasa", "actions", "web")


@dataclass
class Server:
    command: List[str]
    health_url: str
    log: Path
    process: Optional[subprocess.Popen] = None

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class ScaledDeployment:
    public_url: str
    rasa_urls: List[str]
    action_server_urls: List[str]
    web_url: str
    database_url: str
    redis_url: str
    api_token: str
    env: Dict[str, str]
    servers: Dict[str, Server] = field(default_factory=dict)

    def start(self, *names: str, timeout: float = 300) -> None:
        """Start the named servers (all when none are named) side by side, and
        wait until each answers its health check."""
        names = names or tuple(self.servers)
        for name in names:
            server = self.servers[name]
            if not server.is_running:
                server.process = start_server(server.command, server.log, self.env)
        for name in names:
            server = self.servers[name]
            wait_until_healthy(server.health_url, server.process, server.log, timeout)

    def stop(self, name: str) -> None:
        server = self.servers[name]
        if server.is_running:
            stop_server(server.process)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the kernel's out-of-memory killer would."""
        server = self.servers[name]
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    def stop_all(self) -> None:
        for kind in STOP_ORDER:
            for name in self.servers:
                if name.startswith(kind):
                    self.stop(name)

    def __enter__(self) -> "ScaledDeployment":
        try:
            self.start()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


def scaled_deployment(model: Path, folder: Path, database_url: str, redis_url: str,
                      instances: int = 2, public_host: str = "127.0.0.1",
                      public_port: Optional[int] = None, api_token: Optional[str] = None,
                      extra_env: Optional[Dict[str, str]] = None,
                      actions_token: Optional[str] = None) -> ScaledDeployment:
    """The deployment's servers, configured and not yet started (use it in `with`).
    Servers are named rasa-1.., actions-1.., web and nginx."""
    _require_postgresql(database_url)
    nginx_config.nginx_binary()  # before anything starts: says how to install it
    ports = nginx_config.Ports(
        public_host=public_host, public=public_port or free_port(), actions=free_port(),
        web=free_port(), rasa=[free_port() for _ in range(instances)],
        action_servers=[free_port() for _ in range(instances)])
    public_url = f"http://{public_host}:{ports.public}"
    token = api_token or secrets.token_urlsafe(24)
    rasa_urls = [f"http://127.0.0.1:{port}" for port in ports.rasa]
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # A staff reply through one instance's API reaches a patient on another.
        "PATIENT_SOCKET_REDIS_URL": redis_url,
        "ENDPOINTS_FILE": PRODUCTION_ENDPOINTS,
        # The Rasa instances reach the action servers through nginx.
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports.actions}/webhook",
        "ACTION_SERVER_TOKEN": actions_token or action_server_token(),
        "RASA_API_TOKEN": token,
        "RASA_URL": rasa_urls[0],
        # Model promotion and rollback load the model on every instance.
        "RASA_SERVER_URLS": " ".join(rasa_urls),
        # The clinic page and the chat's socket share nginx's address.
        "RASA_CORS_ORIGINS": public_url,
        "WEB_PUBLIC_URL": public_url,
        "WIDGET_SOCKET_URL": public_url,
        # Patients' addresses (per-address limits) from nginx's header.
        "SANIC_REAL_IP_HEADER": "x-real-ip",
        "RASA_TELEMETRY_ENABLED": "false",
        "MODELS_DIR": str(model.parent),
        **(extra_env or {}),
    }
    folder.mkdir(parents=True, exist_ok=True)
    servers: Dict[str, Server] = {}
    for number, port in enumerate(ports.action_servers, 1):
        servers[f"actions-{number}"] = Server(action_server_command(port),
                                              f"http://127.0.0.1:{port}/health",
                                              folder / f"actions-{number}.log")
    for number, (port, url) in enumerate(zip(ports.rasa, rasa_urls), 1):
        servers[f"rasa-{number}"] = Server(
            rasa_server_command(model, port, public_url, endpoints=PRODUCTION_ENDPOINTS),
            f"{url}/", folder / f"rasa-{number}.log")
    servers["web"] = Server(web_app_command(ports.web), f"http://127.0.0.1:{ports.web}/health",
                            folder / "web.log")
    prefix = folder / "nginx"
    config = nginx_config.write_config(prefix, ports)
    servers["nginx"] = Server(nginx_config.nginx_command(prefix, config),
                              f"{public_url}/health", folder / "nginx.log")
    return ScaledDeployment(
        public_url=public_url, rasa_urls=rasa_urls,
        action_server_urls=[f"http://127.0.0.1:{port}" for port in ports.action_servers],
        web_url=f"http://127.0.0.1:{ports.web}", database_url=database_url,
        redis_url=redis_url, api_token=token, env=env, servers=servers)


def _require_postgresql(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        raise ValueError("The scaled deployment shares one PostgreSQL database between its "
                         "Rasa instances: DATABASE_URL must be postgresql://...")


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database DATABASE_URL names if it doesn't exist yet."""
    _require_postgresql(database_url)
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          future=True)
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": url.database}).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create-database", help="create DATABASE_URL's database if missing")
    run = commands.add_parser("run", help="start the deployment; Ctrl-C stops it")
    run.add_argument("--model", required=True, type=Path)
    run.add_argument("--port", type=int, default=8080, help="nginx's public port")
    run.add_argument("--host", default="127.0.0.1", help="nginx's public address")
    run.add_argument("--instances", type=int, default=2,
                     help="Rasa instances, and as many action servers")
    run.add_argument("--folder", type=Path, default=Path("var/scaled"),
                     help="logs, nginx's prefix and Redis's config")
    run.add_argument("--redis-password-file", type=Path, default=Path("var/redis-password"),
                     help="its Redis's password (made if missing, readable by its owner only)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    try:
        if args.command == "create-database":
            ensure_database(database_url)
            return 0
        # Checked before anything starts.
        _require_postgresql(database_url)
        nginx_config.nginx_binary()
        redis_binary()
        # Optional (RABBITMQ_URL): Rasa's event broker, in endpoints.production.yml.
        events = (f"; conversation events to RabbitMQ queue {settings.rabbitmq_queue()}"
                  if settings.rabbitmq_url() else "")
    except (ValueError, ArgumentError, nginx_config.NginxMissing, RedisMissing) as error:
        print(error, file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"PostgreSQL can't be reached: {str(error.orig or error).strip()}", file=sys.stderr)
        return 2
    print(f"Starting Redis, {args.instances} Rasa instances, {args.instances} action servers, "
          f"the web app and nginx{events}; logs in {args.folder}/ (a minute or two).", flush=True)
    args.folder.mkdir(parents=True, exist_ok=True)
    with running_redis(args.folder, args.redis_password_file) as own_redis:
        deployment = scaled_deployment(
            args.model, args.folder, database_url, own_redis.url(), args.instances, args.host,
            args.port, api_token=os.environ.get("RASA_API_TOKEN") or None,
            actions_token=os.environ.get("ACTION_SERVER_TOKEN") or None)
        return _run(deployment, args.folder)


def _run(deployment: ScaledDeployment, folder: Path) -> int:
    with deployment:
        print(f"Up. Clinic page and chat: {deployment.public_url}/ ; staff console: "
              f"{deployment.public_url}/staff/ . Rasa instances (REST and API, this machine "
              f"only): {' '.join(deployment.rasa_urls)}. Ctrl-C stops it.", flush=True)
        try:
            while all(server.is_running for server in deployment.servers.values()):
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
        stopped = [name for name, server in deployment.servers.items() if not server.is_running]
        print(f"Stopped by itself: {', '.join(stopped)}; stopping the rest "
              f"(see {folder}/).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
