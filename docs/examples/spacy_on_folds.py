"""spaCy's NER trained and tested on exactly the study's folds, its predictions written for ner-study to read back.

A user's own script: spaCy and the standard library only (`pip install spacy`, CPU is enough). Run

    ner-study folds wnut16 wnut16-folds
    python spacy_on_folds.py wnut16-folds spacy-preds

For each fold of FOLDS_DIR/folds.json it reads train, dev and test CoNLL (word TAB IOB2 tag, a blank line between
sentences), trains spaCy's own pipeline with spaCy's own CLI (`spacy init config --lang en --pipeline ner
--optimize efficiency`, CPU, spaCy's defaults but for a bounded budget: at most 30 epochs, patience 1,600 steps,
seed 0 — about 3 minutes a fold on one CPU core), tags each test sentence on its own words with `model-best` and
writes OUT_DIR/foldK.jsonl: one spaCy/Prodigy line per test sentence, in file order,
{"text": the words joined by single spaces, "spans": [{"start", "end", "label"}]} in character offsets.
A fold whose output exists is skipped, so a stopped run resumes; spaCy's models and data are kept in OUT_DIR/work/.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin

TRAIN_ARGS = ['--training.max_epochs', '30', '--training.patience', '1600', '--system.seed', '0']


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    "The sentences of a two-column CoNLL file: (words, IOB2 tags)."
    sentences, words, tags = [], [], []
    for line in path.read_text(encoding='utf-8').splitlines() + ['']:
        if not line.strip():
            if words:
                sentences.append((words, tags))
            words, tags = [], []
        elif not line.startswith('-DOCSTART-'):
            word, tag = line.rsplit('\t', 1)
            words.append(word)
            tags.append(tag)
    return sentences


def to_doc(nlp, words: list[str], tags: list[str] | None = None) -> Doc:
    "A Doc of the corpus's own words, with gold entities where tags are given (spaCy reads IOB2 tags as they are)."
    return Doc(nlp.vocab, words=words, spaces=[True] * len(words), ents=tags)


def spacy_cli(*args: str) -> None:
    subprocess.run([sys.executable, '-m', 'spacy', *args], check=True)


def write_atomically(path: Path, lines: list[str]) -> None:
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(''.join(line + '\n' for line in lines), encoding='utf-8')
    os.replace(tmp, path)


def run_fold(name: str, files: dict, folds_dir: Path, out_dir: Path) -> None:
    out = out_dir / f'{name}.jsonl'
    if out.exists():
        print(f'{name}: {out} exists, skipped')
        return
    work = out_dir / 'work' / name
    work.mkdir(parents=True, exist_ok=True)
    blank = spacy.blank('en')
    split = {s: [sent for f in files[s] for sent in read_conll(folds_dir / f)] for s in ('train', 'dev', 'test')}
    for s in ('train', 'dev'):
        DocBin(docs=[to_doc(blank, w, t) for w, t in split[s]]).to_disk(work / f'{s}.spacy')

    config = work / 'config.cfg'
    spacy_cli('init', 'config', str(config), '--lang', 'en', '--pipeline', 'ner', '--optimize', 'efficiency',
              '--force')
    started = time.monotonic()
    spacy_cli('train', str(config), '--output', str(work / 'model'), '--paths.train', str(work / 'train.spacy'),
              '--paths.dev', str(work / 'dev.spacy'), *TRAIN_ARGS)
    seconds = time.monotonic() - started

    nlp = spacy.load(work / 'model' / 'model-best')
    lines, gold, found = [], 0, 0
    for words, tags in split['test']:
        doc = nlp(to_doc(nlp, words))  # the pipeline runs on the Doc as given: the corpus's words, not spaCy's
        spans = [{'start': e.start_char, 'end': e.end_char, 'label': e.label_} for e in doc.ents]
        text = ' '.join(words)
        assert doc.text.rstrip(' ') == text
        lines.append(json.dumps({'text': text, 'spans': spans}, ensure_ascii=False))
        gold += sum(t.startswith('B-') for t in tags)
        found += len(spans)
    write_atomically(out, lines)
    print(f'{name}: trained in {seconds:.0f} s; test: {len(lines)} sentences, {gold} gold entities, '
          f'{found} predicted -> {out}', flush=True)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    folds_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for fold in json.loads((folds_dir / 'folds.json').read_text())['fold_list']:
        run_fold(f'fold{fold["fold"]}', fold['files'], folds_dir, out_dir)


if __name__ == '__main__':
    main()
