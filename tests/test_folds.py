"""Cross-validated studies on tiny runs: every sentence in exactly one test fold and no sentence of a test document in
its fold's train or dev; the pooled scores are the folds' added up; a killed cross-validated study resumes without
retraining finished folds; a test set from elsewhere is scored by every fold's model; and one split (`folds=1`, or the
default on a corpus with a test split of its own) is the study as it was before folds."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from ner_study.buckets import TrainingStats
from ner_study.comparison import compare_study
from ner_study.corpora import CorpusError, CorpusSpec, load_corpus, write_conll
from ner_study.extra_tests import extra_predictions, retype
from ner_study.metrics import evaluate_tags
from ner_study.run_folders import is_finished
from ner_study.significance import f1_from_counts, sentence_counts, strict_spans
from ner_study.study import StudyConfig


def test_folds_test_every_sentence_once_and_keep_documents_whole(tmp_path):
    "A corpus of 12 documents of 1 to 4 sentences, each sentence naming its document: dealt into 4 folds."
    lines, n = [], 0
    for doc in range(12):
        lines.append('-DOCSTART- O\n')
        for s in range(1 + doc % 4):
            lines += [f'doc{doc}\tB-ORG\n', f's{s}\tO\n', '\n']; n += 1
    (tmp_path / 'docs.conll').write_text(''.join(lines), encoding='utf-8')
    folds = [load_corpus(CorpusSpec(str(tmp_path / 'docs.conll'), folds=4, fold=k, dev_ratio=0.1)) for k in range(4)]
    key = lambda s: ' '.join(s.tokens)
    tested = [key(s) for c in folds for s in c.test]
    assert sorted(tested) == sorted({key(s) for c in folds for s in c.train + c.dev + c.test}) and len(tested) == n, (
        'each sentence once')
    for c in folds:
        test_docs = {s.tokens[0] for s in c.test}
        assert not test_docs & {s.tokens[0] for s in c.train + c.dev}, (
            'no sentence of a test document is trained on or used for dev')
        assert c.dev and not {s.tokens[0] for s in c.dev} & {s.tokens[0] for s in c.train}, (
            'dev documents are whole too')
    assert len({c.fingerprint() for c in folds}) == 4 and 'documents whole' in folds[0].split_note


# two cheap contestants of one family, one epoch on 24 sentences, a slice of W-NUT 2016 in 3 folds: 6 runs
PARAMS = dict(models='lstm-word,lstm-char', seeds=1, fractions='1', epochs=1, max_train_sentences=24, threads=1,
              folds=3)
KILLED = """
import sys
from ner_study.comparison import compare_study
from ner_study.study import StudyConfig
compare_study(StudyConfig(**eval(sys.argv[1])), progress=False)
"""


@pytest.fixture(scope='module')
def killed_then_resumed(tmp_path_factory, wnut_slice):
    """A cross-validated comparison killed once its second fold's first run had finished, then run again: (config,
    comparison)."""
    cfg = StudyConfig(corpus=wnut_slice, output_dir=str(tmp_path_factory.mktemp('cv')), **PARAMS)
    corpora = cfg.fold_corpora(load_corpus(wnut_slice))
    fold_two = cfg.experiment('lstm-word', cfg.seed_of(1), fold=1).run_dir(corpora[1])
    proc = subprocess.Popen([sys.executable, '-c', KILLED,
                             repr({'corpus': wnut_slice, 'output_dir': cfg.output_dir, **PARAMS})],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not is_finished(fold_two) and proc.poll() is None and time.time() < deadline: time.sleep(0.2)
        assert is_finished(fold_two), 'killed after a run on the second fold had finished'
    finally:
        os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    return cfg, compare_study(cfg, progress=False)


def test_a_killed_cross_validated_study_resumes_without_retraining_finished_folds(killed_then_resumed):
    cfg, cmp = killed_then_resumed
    done = [(r.model, r.fold) for r in cmp.runs if not r.trained_now]
    assert ('lstm-word', 0) in done and ('lstm-char', 0) in done and ('lstm-word', 1) in done, done
    assert [(r.model, r.fold, r.seed) for r in cmp.runs] == [('lstm-word', 0, 42), ('lstm-char', 0, 42),
                                                             ('lstm-word', 1, 43), ('lstm-word', 2, 44),
                                                             ('lstm-char', 1, 43), ('lstm-char', 2, 44)]
    again = compare_study(cfg, progress=False)
    assert not any(r.trained_now for r in again.runs) and again.headline == cmp.headline


def test_pooled_scores_are_the_folds_added_up(killed_then_resumed):
    cfg, cmp = killed_then_resumed
    assert len(cmp.folds) == 3 and len(cmp.folds.test) == sum(len(c.test) for c in cmp.folds.corpora) == 380
    for pooled in cmp.pooled:
        parts = sorted((r for r in cmp.runs if r.model == pooled.model), key=lambda r: r.fold)
        assert pooled.test_pred == [tags for r in parts for tags in r.test_pred], (
            'each sentence predicted by the model of its fold')
        counts = sum(sentence_counts([s.tags for s in c.test], r.test_pred).sum(0)
                     for c, r in zip(cmp.folds.corpora, parts))
        assert pooled.runs == parts, 'a pooled run holds the real runs it came from'
        assert pooled.scores.n_gold_entities == counts[2] == sum(r.metrics.test.n_gold_entities for r in parts)
        assert pooled.scores == evaluate_tags([s.tags for s in cmp.folds.test], pooled.test_pred)
        correct, predicted, gold = counts
        assert abs(pooled.scores.f1 - (2 * correct / (predicted + gold) if predicted + gold else 0.0)) < 1e-12
    assert list(cmp.stability['fold']) == [1, 2, 3] and cmp.headline.design.folds == 3 and cmp.power.unit == 'fold'
    assert 'pooled over 3 folds' in cmp.answer() and 'never saw it' in cmp.design_words() and cmp.stability_words()
    # the buckets pool every sentence, each measured against its own fold's training split
    by_length = cmp.buckets[cmp.buckets['attribute'] == 'entity length']
    assert by_length['entities'].sum() == cmp.headline.entities
    first = TrainingStats.of(cmp.folds.first.train)
    unseen_in_fold_1 = sum(first.entity_buckets(s.tokens, sp)['entity frequency'] == '0'
                           for s in cmp.folds.first.test for sp in strict_spans(s.tags))
    unseen_pooled = sum(TrainingStats.of(c.train).entity_buckets(s.tokens, sp)['entity frequency'] == '0'
                        for c in cmp.folds.corpora for s in c.test for sp in strict_spans(s.tags))
    assert 0 < unseen_in_fold_1 < unseen_pooled == (
        cmp.buckets.set_index(['attribute', 'bucket']).loc[('entity frequency', '0'), 'entities'])


def test_extra_tests_on_folds_are_scored_by_every_folds_model(killed_then_resumed, tmp_path):
    """A test set from elsewhere (W-NUT 2016 sentences the slice lacks, *other* renamed *misc*; no type map: the types
    of the same name)."""
    cfg, _ = killed_then_resumed
    sents = [s._replace(tags=retype(s.tags, {t: 'misc' if t == 'other' else t for t in load_corpus().entity_types}))
             for s in load_corpus().train[-40:]]
    cmp = compare_study(replace(cfg, extra_tests=write_conll(sents, tmp_path / 'elsewhere.conll')), progress=False)
    assert not any(r.trained_now for r in cmp.runs)
    (test,) = cmp.extra_tests
    row = cmp.extra_table.set_index('kind').loc['extra']
    misc = sum(t == 'misc' for s in sents for t, *_ in strict_spans(s.tags))
    assert (misc and row['gold_dropped'] == misc
            and row['entities'] == sum(len(strict_spans(s.tags)) for s in sents) - misc)
    assert row['runs'] == 3 and row['shared_sentences'] == 0 and 'other' not in test.mapping
    files = [next((r.run_dir / 'extra_tests').glob('elsewhere-*.json')) for m in cmp.pair for r in cmp.extra_runs[m]]
    assert len(files) == 6, 'one prediction file in each fold run of the pair'
    for m in cmp.pair:  # F1 of all three fold models' predictions together, in the test set's types
        counts = sum(sentence_counts(test.gold, test.scored(extra_predictions(r.run_dir, test))).sum(0)
                     for r in cmp.extra_runs[m])
        assert abs(row[f'f1_{m}'] - f1_from_counts(counts)) < 1e-12
    stamps = [f.stat().st_mtime_ns for f in files]
    again = compare_study(replace(cfg, extra_tests=str(tmp_path / 'elsewhere.conll')), progress=False)
    assert again.extra_table.equals(cmp.extra_table) and [f.stat().st_mtime_ns for f in files] == stamps, (
        'read back, not predicted again')


def test_a_bad_type_map_stops_the_comparison_before_anything_trains(tmp_path, wnut_slice):
    extra = write_conll(load_corpus().train[-10:], tmp_path / 'elsewhere.conll')
    (tmp_path / 'map.types').write_text('other -\nother -\n')
    cfg = StudyConfig(corpus=wnut_slice, output_dir=str(tmp_path / 'runs'), extra_tests=extra,
                      type_map=str(tmp_path / 'map.types'), **PARAMS)
    with pytest.raises(CorpusError, match=r"map\.types:2: 'other' is mapped twice \(first on line 1\)"):
        compare_study(cfg, progress=False)
    assert not (tmp_path / 'runs').exists()


def test_one_split_is_the_study_of_before_folds(wnut_slice, tmp_path):
    """On a corpus with its own test split, folds='auto' is one split, the same runs (same folders, same hashes) as
    folds=1."""
    base = StudyConfig(corpus=wnut_slice, output_dir=str(tmp_path), **{**PARAMS, 'folds': 'auto'})
    corpus = load_corpus(wnut_slice)
    assert base.resolve_folds(corpus).folds == 1
    one = replace(base, folds=1)
    dirs = lambda cfg: [p.experiment.run_dir(corpus) for p in cfg.resolve_folds(corpus).plan(len(corpus.train))]
    assert dirs(base) == dirs(one) and all(p.experiment.corpus.folds == 1 for p in one.plan(len(corpus.train)))
    cmp = compare_study(one, progress=False)
    # lstm-char: top_seeds 2
    assert len(cmp.folds) == 1 and cmp.stability is None and cmp.folds.test == cmp.corpus.test and len(cmp.pooled) == 3
    assert all(len(p.runs) == 1 and p.scores == p.runs[0].metrics.test for p in cmp.pooled), (
        'one split: the runs themselves')
    # one seed pair (lstm-word has one seed): one paired test, on the test split
    assert cmp.headline.design.folds == 1 and cmp.headline.pairs == 1 and 'on this test set (p = ' in cmp.answer()
    assert 'One split' in cmp.design_words()
