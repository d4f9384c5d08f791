"""nginx, the load balancer of the scaled deployment: its configuration, made
from deploy/nginx.conf.j2, and the command that runs it in the foreground under
its own prefix (no root, no system service)."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from clinic import settings
from clinic.settings import PROJECT_ROOT
from clinic.system_programs import ProgramMissing, find_program

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.j2"
# Debian's package installs it in /usr/sbin, which a normal user's PATH may lack.
NGINX_PLACES = ("nginx", "/usr/sbin/nginx")
INSTALL_HINT = ("nginx is not installed; the scaled deployment needs it as its load "
                "balancer. Install Debian's package: sudo apt-get install -y nginx")


class NginxMissing(ProgramMissing):
    pass


@dataclass(frozen=True)
class Ports:
    public_host: str
    public: int
    actions: int  # the action servers' internal listener, on the loopback
    web: int
    rasa: Sequence[int]
    action_servers: Sequence[int]


def nginx_binary() -> str:
    return find_program(NGINX_PLACES, NginxMissing(INSTALL_HINT))


def no_action_server_reply() -> str:
    """What nginx answers for the action servers when none can be reached: an
    action server's reply (rasa_sdk's format) apologising, with the clinic's
    contact from the domain's utter_clinic_contact and settings/clinic.yml."""
    contact = settings.clinic_contact()
    return json.dumps({"events": [], "responses": [
        {"text": "Sorry, I can't look that up right now because of a technical problem."},
        {"response": "utter_clinic_contact", "phone": contact.phone,
         "email": contact.email, "hours": contact.hours},
    ]})


def _nginx_string(text: str) -> str:
    """Text for inside an nginx single-quoted string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def write_config(prefix: Path, ports: Ports) -> Path:
    """Write the configuration into `prefix` (created); return its path."""
    prefix.mkdir(parents=True, exist_ok=True)
    template = Environment(loader=FileSystemLoader(str(TEMPLATE.parent)),
                           undefined=StrictUndefined, keep_trailing_newline=True,
                           autoescape=False).get_template(TEMPLATE.name)
    config = prefix / "nginx.conf"
    config.write_text(template.render(
        prefix=str(prefix.resolve()), public_host=ports.public_host,
        public_port=ports.public, actions_port=ports.actions, web_port=ports.web,
        rasa_ports=list(ports.rasa), action_ports=list(ports.action_servers),
        no_action_server_reply=_nginx_string(no_action_server_reply())))
    return config


def nginx_command(prefix: Path, config: Path) -> List[str]:
    return [nginx_binary(), "-p", str(prefix.resolve()), "-c", str(config.resolve()),
            "-g", "daemon off;"]
