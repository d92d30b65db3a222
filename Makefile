# The two commands: `make run` (whole system with demo data) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PACKAGES := services/common services/gateway services/devstack services/bench member-svc proposal-svc consultation-svc notify-svc
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

.PHONY: run test lint fmt migrate clean install catalog bench

install: $(STAMP)

$(STAMP): constraints.txt $(PYPROJECTS)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "安装依赖 / installing the dependencies into $(VENV) (1-2 minutes the first time) …"
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt \
		$(foreach p,$(PACKAGES),-e ./$(p)) -e './services/common[test]' -r requirements-dev.txt
	@touch $(STAMP)
	@echo "已安装 / installed"

run: $(STAMP)
	$(BIN)/python -u -m cppcc_devstack run

# Parallel workers (pytest-xdist): most tests wait on servers and processes, so more workers than
# cores pay. A module stays on one worker; so do the tests of the shared end-to-end stack. (xdist
# starts the groups with the most tests first; in collection order with the fuzz first, tried,
# the run took 15:41 against 14:15: the e2e stacks all started at once.)
TEST_WORKERS ?= 4
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Load the whole stack beside bare baselines and write a dated report under docs/bench/ (not part of
# make test). BENCH_ARGS="--duration 5 --runs 1" for a quick look; see docs/bench/README.md.
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk (Debian's package) …"; \
		apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m cppcc_bench $(BENCH_ARGS)

# mypy --strict and the import-linter contracts (pyproject.toml) also run in make test
# (tests/test_conventions.py); see docs/testing.md, "Conventions checked by tools".
MYPY_PACKAGES := services/common/cppcc_common services/gateway/cppcc_gateway services/devstack/cppcc_devstack \
	services/bench/cppcc_bench member-svc/member_svc proposal-svc/proposal_svc \
	consultation-svc/consultation_svc notify-svc/notify_svc

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PACKAGES)
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/python -m cppcc_devstack migrate

catalog: $(STAMP)
	$(BIN)/python -m cppcc_common.catalog > docs/events/asyncapi.json

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
