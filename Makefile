# Zentra developer entry points. Extra pytest args: make test PYTEST_ARGS="-k ledger -x"
.PHONY: bootstrap demo test

bootstrap:
	bash scripts/bootstrap.sh

demo: bootstrap
	. scripts/env.sh && .venv/bin/zentra demo

test: bootstrap
	bash scripts/test.sh $(PYTEST_ARGS)
