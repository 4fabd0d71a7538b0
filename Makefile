# motionlab — one entry point for setup, training, tests and review.
# `make train` and `make test` work on a fresh machine: they create the virtual environment first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The targets below are aliases of `motionlab` verbs (docs/cli.md); ARGS are their key=value arguments.
MOTIONLAB = $(PY) -m motionlab
comma := ,
space := $(subst x, ,x)
# torch is installed on its own, first, with the exact pin from pyproject.toml: a looser spec (or a
# package that depends on torch) would pull the multi-gigabyte CUDA build from the registry.
TORCH_PIN := $(shell grep -o 'torch==[0-9.]*' pyproject.toml)
ARGS ?=
EXPERIMENT ?= workout_tcn
POSE_MODEL ?= .cache/pose/pose_landmarker_full.task
SEARCH ?= workout_tcn
# make sweep's small default study: 8 trials of up to 4 epochs on 4 sample sessions, 16-channel TCNs.
# SWEEP_DEMO= (empty) runs the search file's full recipe instead.
SWEEP_DEMO ?= sweep.study=$(SEARCH)_demo sweep.n_trials=8 trainer.max_epochs=4 \
	data.sample.num_subjects=4 data.sample.sessions_per_subject=1 data.stride=15 model.channels=16
STUDY ?= $(SEARCH)_demo
# make workout-data: a folder of videos with <stem>.labels.yaml files → workout sessions in WORKOUT_OUT.
WORKOUT_OUT ?= data/workout_sessions

.DEFAULT_GOAL := help
.PHONY: help install pose-model workout-data analyze train resume sweep dashboard evaluate export js-example web-example test test-fast bench lint format tensorboard notebooks-clean clean

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-13s\033[0m %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv and install motionlab (+ dev tools)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH_PIN)"
	$(PY) -m pip install --quiet -e ".[dev]"
	$(MOTIONLAB) pose-model output=$(POSE_MODEL)  # the video extra's pose model, fetched at setup, never at run time
	touch $@

pose-model: install ## build the pose landmarker bundle for video input offline (POSE_MODEL=path)
	$(MOTIONLAB) pose-model output=$(POSE_MODEL)

workout-data: install ## build workout sessions from VIDEOS (folder of videos + .labels.yaml) into WORKOUT_OUT
	$(MOTIONLAB) build-workout-data video_dir=$(VIDEOS) out=$(WORKOUT_OUT) pose_model=$(POSE_MODEL) $(ARGS)

analyze: install ## analyse VIDEOS (files or folders) with MODEL (an exported .onnx); ARGS="plot=true out=DIR"
	$(MOTIONLAB) analyze "videos=[$(subst $(space),$(comma),$(strip $(VIDEOS)))]" model=$(MODEL) pose_model=$(POSE_MODEL) $(ARGS)

train: install ## train EXPERIMENT (default workout_tcn) on the built-in sample data; ARGS="key=value ..."
	$(MOTIONLAB) train experiment=$(EXPERIMENT) $(ARGS)

resume: install ## continue the newest stopped run in place (RUN=outputs/<name>/<time> for another; ARGS="key=value ...")
	$(MOTIONLAB) resume $(if $(RUN),run=$(RUN)) $(ARGS)

sweep: install ## Optuna study over configs/search/SEARCH.yaml (small demo by default); ARGS="key=value ..."
	$(MOTIONLAB) sweep search=$(SEARCH) $(SWEEP_DEMO) $(ARGS)

dashboard: install ## optuna-dashboard on outputs/sweeps/STUDY/study.db (default: the make sweep demo)
	$(BIN)/optuna-dashboard sqlite:///outputs/sweeps/$(STUDY)/study.db

evaluate: install ## test metrics + per-window predictions of the latest run; ARGS="run=... split=... | ensemble.runs=[...]"
	$(MOTIONLAB) evaluate $(ARGS)

export: install ## export the latest completed run's best checkpoint to verified ONNX; ARGS="run=... | sweep=..."
	$(MOTIONLAB) export $(ARGS)

# The JavaScript example's dependencies (onnxruntime-node). Its postinstall would download CUDA
# files; the CPU runtime ships inside the package, so skip it (works offline from the npm cache).
js-example: examples/onnx-node/node_modules/.package-lock.json ## install the Node.js export example (npm ci)

examples/onnx-node/node_modules/.package-lock.json: examples/onnx-node/package-lock.json
	cd examples/onnx-node && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund

# The browser example's dependencies: onnxruntime-web (its wasm runtime ships in the package) and
# puppeteer-core, which drives the system's Chromium and never downloads a browser.
web-example: examples/web/node_modules/.package-lock.json ## install the browser export example (npm ci)

examples/web/node_modules/.package-lock.json: examples/web/package-lock.json
	cd examples/web && npm ci --no-audit --no-fund

test: install ## run the test suite (in parallel workers; ARGS="-k name" to select)
	$(PY) -m pytest --numprocesses=auto --maxprocesses=4 --dist=loadgroup --max-worker-restart=0 $(ARGS)

test-fast: install ## the suite without the tests marked slow (training runs, studies, exports): the edit loop
	$(PY) -m pytest -m "not slow" --numprocesses=auto --maxprocesses=4 --dist=loadgroup --max-worker-restart=0 $(ARGS)

bench: install ## benchmark suite: one table of measured numbers; ARGS="--slow" adds the pruning study
	$(PY) -m bench $(ARGS)

lint: install ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

tensorboard: install ## open TensorBoard on every run in outputs/
	$(BIN)/tensorboard --logdir outputs

notebooks-clean: install ## strip outputs and execution counts from notebooks/*.ipynb before committing
	$(PY) notebooks/clean.py

clean: ## remove runs, generated sample data and caches (keeps .venv)
	rm -rf outputs/* data/ .pytest_cache .ruff_cache multirun lightning_logs
	touch outputs/.gitkeep
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
