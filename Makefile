# One command each: `make dev` runs the product locally, `make test` proves it, `make bench` measures it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# openapi-python-client, for the e2e test of a generated client: a venv of its own, as a brand's
# engineers would run it (its typer pin is older than the CLI's)
CLIENTGEN := .cache/openapi-python-client/bin/openapi-python-client

.PHONY: docs docs-serve deploy-rehearsal dev test test-fast test-engine test-engine-ci test-browser test-year java lint types bench bench-smoke mutate package deploy clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or PYTHON=python3.x make ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip<26.3'  # chalice 1.34 packages with pip < 26.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CLIENTGEN):
	$(PYTHON) -m venv .cache/openapi-python-client
	.cache/openapi-python-client/bin/pip install --quiet 'openapi-python-client==0.29.1' 'ruff==0.17.6'

# Java for DynamoDB Local is installed where `make test-engine` would install it (the `java`
# target); where it cannot be, `loyalty dev` says so in one line and runs on moto.
dev: $(STAMP)
	@$(MAKE) -s java || true
	PORT=$(PORT) $(BIN)/loyalty dev --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

# loadgroup: the tests of the packaged stacks share one packaging, in one worker.
test: lint types $(CLIENTGEN)
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not slow"

# The integration, API, e2e and fuzz suites again, on DynamoDB Local (AWS's own engine): no moto,
# no lock; the fuzzer sends half as many examples per route as on moto (the engine adds little to
# what it looks for, and CI has 15 minutes). The engine is fetched once into .cache/ (npm registry, pinned hash); it needs Java.
# The dashboard in headless Chromium (Debian's chromium and chromium-driver, installed here when
# missing); not in CI's `make test`, for its time. The screenshot: tests/artifacts/dashboard.png.
test-browser: $(STAMP) java
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; }
	LOYALTY_BROWSER=1 LOYALTY_TEST_ENGINE=dynamodb-local $(BIN)/pytest -p no:randomly tests/browser

test-engine: $(STAMP) java $(CLIENTGEN)
	LOYALTY_TEST_ENGINE=dynamodb-local LOYALTY_FUZZ_EXAMPLES=4 $(BIN)/pytest -n 2 --dist loadgroup $(ENGINE_MARKS) tests/integration tests/api tests/e2e tests/fuzz

# CI's engine pass: all but the `long` tests (the slowest there, 6 s to 47 s each: catch-ups of
# nights, which `make test` has just run on moto; and the simulated nights, 3 minutes), so CI
# keeps within 15 minutes. The `moto_slow` ones (several times as slow on moto) run here only.
# `make test-engine` runs all.
test-engine-ci:
	$(MAKE) test-engine ENGINE_MARKS='-m "not long"'

# The simulated year at size (not in CI): 300 members, 365 nights, every job every night, the
# books checked every day; on DynamoDB Local (moto copies its whole table in every transaction).
# 2 h 24 min here at #33 (57 min before #13 added stored value and the nightly reconciliation):
# the test's own check reads every member's whole ledger every night, so nights grow slower with
# the history (about 6 s early, 45 s at the end). It prints a line every 30 nights.
test-year: $(STAMP) java
	LOYALTY_TEST_ENGINE=dynamodb-local YEAR_MEMBERS=300 YEAR_DAYS=365 $(BIN)/pytest -s -p no:randomly tests/integration/test_simulated_year.py

# Java for DynamoDB Local: installed where we may (root on Debian), else say how.
java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Java for DynamoDB Local (default-jre-headless)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else echo "DynamoDB Local needs Java 17+: apt-get install default-jre-headless, or brew install openjdk"; exit 1; fi; }

# ENGINE=moto to bench without Java; BENCH_ARGS="30 --only use-cases" for a part.
ENGINE ?= dynamodb-local
bench: $(STAMP)
	@if [ "$(ENGINE)" = dynamodb-local ]; then $(MAKE) -s java; fi
	$(BIN)/python -m tests.bench.run --engine $(ENGINE) $(BENCH_ARGS)

# Every part of `make bench` at the smallest size (CI: that it runs, in about a minute; the
# dev server part where Java is). Its figures mean nothing.
bench-smoke: $(STAMP)
	@$(MAKE) -s java || true
	$(BIN)/python -m tests.bench.run --smoke --engine moto

# The documentation site (MkDocs, Material theme) into site/; --strict: a broken link, anchor or
# snippet fails the build. docs-serve rebuilds it as you edit, on http://127.0.0.1:8100.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8100

# Mutation testing (not in CI): the domain by default, about 5,100 mutants: hours on two cores
# (mypy refuses about two in five at once; the rest run the unit, integration and API tests that
# call the mutated function). It resumes where it stopped: `mutmut run` again, then
# `python -m tests.mutation_report`. MUTANTS='chalicelib.services.*' for the points and coupon
# services. Prints the score per module and the surviving mutants.
MUTANTS ?= chalicelib.domain.*
mutate: $(STAMP)
	rm -rf mutants
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mutmut run --max-children 2 "$(MUTANTS)" > /dev/null || true
	$(BIN)/python -m tests.mutation_report

# A brand's whole stack into dist/<brand>/package (sam.json, deployment.zip), linted offline.
BRAND ?= demo
package: $(STAMP)
	$(BIN)/loyalty package --brand $(BRAND)

# The real deployment (AWS credentials, an S3 bucket of yours in the brand's region; never in
# CI): package, upload, one CloudFormation change set, the starting program, the outputs.
deploy: $(STAMP)
	@test -n "$(BUCKET)" || { echo "make deploy BRAND=$(BRAND) BUCKET=<an S3 bucket of yours>"; exit 1; }
	$(BIN)/loyalty deploy --brand $(BRAND) --bucket $(BUCKET)

# The deploy rehearsal (in CI): `loyalty deploy`'s own code against moto's server on a free
# loopback port, with AWS's SAM translator; both in a venv of their own (the translator pins an
# older pydantic than the engine's). Prints what was created and what was checked otherwise.
REHEARSAL := .cache/rehearsal/bin/moto_server
$(REHEARSAL):
	$(PYTHON) -m venv .cache/rehearsal
	.cache/rehearsal/bin/pip install --quiet 'moto[server,cloudformation,s3,apigateway,dynamodb,sqs,events,logs,awslambda,iam,sns,cloudwatch,secretsmanager]==5.2.5' 'aws-sam-translator==1.115.0'
deploy-rehearsal: $(STAMP) $(REHEARSAL)
	$(BIN)/loyalty deploy-rehearsal --brand $(BRAND)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
