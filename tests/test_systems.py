"""Other systems judged by the study, and the dictionary baseline, on the tiny cross-validated study of test_folds: a
system whose files are a contestant's own predictions gives that contestant's figures exactly; a system of the gold
tags scores F1 1.0, each fold's file read for its own fold only; a span that cannot be aligned is counted; each broken
input is one line naming the file and the sentence, before anything trains."""
import json
from dataclasses import replace

import pytest

from ner_study.comparison import compare_study
from ner_study.corpora import CorpusError, write_conll
from ner_study.study import StudyConfig
from ner_study.tags import Sentence, iob2_spans

from test_folds import killed_then_resumed as _study  # noqa: F401 (the fixture: a 3-fold study of two contestants)


def _fold_files(cmp, folder, model):
    "Each fold's test sentences with `model`'s predictions of them, as CoNLL files fold1.conll, fold2.conll, …"
    for k, c in enumerate(cmp.folds.corpora):
        (run,) = [r for r in cmp.runs if r.model == model and r.fold == k and r.fraction == 1.0]
        write_conll([Sentence(s.tokens, p) for s, p in zip(c.test, run.test_pred)], folder / f'fold{k + 1}.conll')
    return str(folder / 'fold{fold}.conll')


def test_a_system_of_a_contestants_predictions_gives_its_figures(killed_then_resumed, tmp_path):
    cfg, cmp = killed_then_resumed
    assert cmp.pair == ('lstm-word', 'lstm-char')
    path = _fold_files(cmp, tmp_path, 'lstm-char')
    mine = compare_study(replace(cfg, systems=f'mine={path}', pair='lstm-word,mine'), progress=False)
    assert not any(r.trained_now for r in mine.runs)
    assert mine.headline.mean['mine'] == cmp.headline.mean['lstm-char'] and mine.power == cmp.power
    for col in ('delta', 'ci_low', 'ci_high', 'p_value'):
        assert mine.significance[col].equals(cmp.significance[col]), col
        assert mine.stability[col].equals(cmp.stability[col]), col
    assert mine.buckets['f1_mine'].equals(cmp.buckets['f1_lstm-char']) and mine.buckets['p_holm'].equals(
        cmp.buckets['p_holm'])
    kinds = lambda c, m: c.kinds[c.kinds['model'] == m].drop(columns='model').reset_index(drop=True)
    assert kinds(mine, 'mine').equals(kinds(cmp, 'lstm-char'))
    # no cost it does not know: not in the cost table, and the headline says so
    assert 'mine' not in mine.costs().index and 'The study knows no cost of mine' in mine.answer()
    # beside the pair instead of in it: against the contestant whose predictions it holds, no difference at all
    beside = compare_study(replace(cfg, models='dictionary,lstm-word,lstm-char', systems=f'mine={path}'),
                           progress=False)
    rows = beside.others_table.set_index(['other', 'against'])
    assert beside.others == ['dictionary', 'mine'] and rows.loc[('mine', 'lstm-char'), 'delta'] == 0
    assert rows.loc[('mine', 'lstm-word'), 'f1_other'] == cmp.headline.mean['lstm-char']
    assert 'trained elsewhere on the study\'s folds' in beside.others_words()


def test_the_gold_system_scores_one_each_fold_from_its_own_file(killed_then_resumed, tmp_path):
    """Fold k's file holds its test sentences with their gold spans, then every other fold's with no entity (a
    sentence found twice takes the file's first): read for its own fold only, each fold scores 1.0. One span of fold 2
    ends inside a word: counted, shown and left out."""
    cfg, cmp = killed_then_resumed
    corpora, cut = cmp.folds.corpora, None
    for k, c in enumerate(corpora):
        lines = []
        for j, other in sorted(enumerate(corpora), key=lambda jc: jc[0] != k):  # its own first
            for s in other.test:
                starts = [sum(len(w) + 1 for w in s.tokens[:i]) for i in range(len(s.tokens) + 1)]
                spans = [{'start': starts[a], 'end': starts[b] - 1, 'label': t} for t, a, b in iob2_spans(s.tags)]
                if j != k: spans = []
                elif k == 1 and spans and cut is None: cut, spans[0]['end'] = spans[0], spans[0]['end'] - 1
                lines.append(json.dumps({'text': ' '.join(s.tokens), 'spans': spans}))
        (tmp_path / f'gold{k + 1}.jsonl').write_text('\n'.join(lines) + '\n')
    gold = compare_study(replace(cfg, systems=f"gold={tmp_path / 'gold{fold}.jsonl'}"), progress=False)
    f1 = {r.fold: r.metrics.test.f1 for r in gold.runs if r.model == 'gold'}
    assert f1[0] == f1[2] == 1.0 and 0.9 < f1[1] < 1.0, f1
    reading = gold.systems['gold']
    assert reading.unaligned == 1 and "1 span not on the corpus's word edges" in gold.others_words()
    assert gold.others_table.set_index(['other', 'against'])['f1_other'].min() > 0.99


@pytest.mark.parametrize('broken, needle', [
    ('missing-fold', r"fold3\.conll: no such file \(fold 3 of 3\)"),
    ('missing-sentence', r"fold2\.conll: no prediction for tested sentence 1 \(fold 2 of 3\), '"),
    ('other-words', r"fold2\.conll: no prediction for tested sentence 1 \(fold 2 of 3\), .*the file's sentence 1 has "
                    r"other words: 'WORDS"),
])
def test_each_broken_system_file_is_one_line_before_anything_trains(killed_then_resumed, tmp_path, broken, needle):
    cfg, cmp = killed_then_resumed
    path = _fold_files(cmp, tmp_path, 'lstm-char')
    second = cmp.folds.corpora[1].test
    if broken == 'missing-fold': (tmp_path / 'fold3.conll').unlink()
    if broken == 'missing-sentence': write_conll(second[1:], tmp_path / 'fold2.conll')
    if broken == 'other-words':
        write_conll([Sentence(['WORDS'] + s.tokens[1:], s.tags) if i == 0 else s for i, s in enumerate(second)],
                    tmp_path / 'fold2.conll')
    fresh = replace(cfg, output_dir=str(tmp_path / 'runs'), systems=f'mine={path}')
    with pytest.raises(CorpusError, match=needle) as e:
        compare_study(fresh, progress=False)
    assert '\n' not in str(e.value) and not (tmp_path / 'runs').exists()


def test_systems_and_the_dictionary_are_checked_as_parameters(tmp_path, wnut_slice):
    (tmp_path / 'p.conll').write_text('')
    with pytest.raises(ValueError, match=r"systems: 'bert' is named twice, or is a contestant"):
        StudyConfig(corpus=wnut_slice, systems=f'bert={tmp_path}/p.conll')
    with pytest.raises(ValueError, match=r'systems: x: .*nowhere1\.conll: no such file'):
        StudyConfig(corpus=wnut_slice, systems=f'x={tmp_path}/nowhere{{fold}}.conll')
    with pytest.raises(ValueError, match=r"pair='lstm,mine': with extra_tests, name two contestants"):
        StudyConfig(corpus=wnut_slice, systems=f'mine={tmp_path}/p.conll', pair='lstm,mine', extra_tests=wnut_slice)
    cfg = StudyConfig(corpus=wnut_slice, systems=f'mine={tmp_path}/p.conll', pair='bert,mine')
    assert cfg.models[0] == 'dictionary' and 'dictionary' not in cfg.trained and cfg.pair == ('bert', 'mine')
    assert all(rungs[0] == 'dictionary' for rungs in cfg.ladders().values())
