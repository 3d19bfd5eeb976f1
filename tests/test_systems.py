"""Other systems judged by the study, and the dictionary baseline, on the tiny cross-validated study of test_folds: a
system whose files are a contestant's own predictions gives that contestant's figures exactly; a system of the gold
tags scores F1 1.0, each fold's file read for its own fold only; a span that cannot be aligned is counted; each broken
input is one line naming the file and the sentence, before anything trains."""
import json
from dataclasses import replace

import pytest

from ner_study.comparison import compare_study
from ner_study.corpora import CorpusError, load_corpus, write_conll
from ner_study.extra_tests import retype
from ner_study.plan import plan_words, study_plan
from ner_study.study import StudyConfig
from ner_study.tags import Sentence, iob2_spans

from test_folds import PARAMS  # two cheap contestants of one family, one epoch on 24 sentences, 3 folds


@pytest.fixture(scope='module')
def cv_study(tmp_path_factory, wnut_slice):
    "The tiny cross-validated study of test_folds, trained once for this module: (config, comparison)."
    cfg = StudyConfig(corpus=wnut_slice, output_dir=str(tmp_path_factory.mktemp('cv')), **PARAMS)
    return cfg, compare_study(cfg, progress=False)


def _fold_files(cmp, folder, model, types=None):
    """Each fold's test sentences with `model`'s predictions of them (their types renamed by `types`), as CoNLL files
    fold1.conll, fold2.conll, …"""
    for k, c in enumerate(cmp.folds.corpora):
        (run,) = [r for r in cmp.runs if r.model == model and r.fold == k and r.fraction == 1.0]
        pred = [retype(p, {t: (types or {}).get(t, t) for t in c.entity_types}) for p in run.test_pred]
        write_conll([Sentence(s.tokens, p) for s, p in zip(c.test, pred)], folder / f'fold{k + 1}.conll')
    return str(folder / 'fold{fold}.conll')


def test_a_system_of_a_contestants_predictions_gives_its_figures(cv_study, tmp_path):
    """The dictionary's predictions as a system's files: the same figures as the dictionary, in the pair and beside it,
    and with the system's own type names mapped back by a type map file."""
    cfg, _ = cv_study
    base = replace(cfg, models='dictionary,lstm-word,lstm-char')  # the same trained runs, and the dictionary
    cmp = compare_study(replace(base, pair='lstm-word,dictionary'), progress=False)
    assert cmp.headline.mean['dictionary'] > 0.1 and 'learns no parameters' in cmp.answer()
    path = _fold_files(cmp, tmp_path, 'dictionary')
    mine = compare_study(replace(base, systems=f'mine={path}', pair='lstm-word,mine'), progress=False)
    assert not any(r.trained_now for r in mine.runs)
    plan = plan_words(study_plan(replace(base, systems=f'mine={path}', pair='lstm-word,mine'), measure=False))
    assert 'folds 2-3: lstm-word (asked for)' in plan and f"the dictionary, built on every fold in seconds; mine's " \
        f"predictions ({path})" in plan, plan
    assert mine.headline.mean['mine'] == cmp.headline.mean['dictionary'] and mine.power == cmp.power
    for col in ('delta', 'ci_low', 'ci_high', 'p_value'):
        assert mine.significance[col].equals(cmp.significance[col]), col
        assert mine.stability[col].equals(cmp.stability[col]), col
    assert mine.buckets['f1_mine'].equals(cmp.buckets['f1_dictionary']) and mine.buckets['p_holm'].equals(
        cmp.buckets['p_holm'])
    kinds = lambda c, m: c.kinds[c.kinds['model'] == m].drop(columns='model').reset_index(drop=True)
    assert kinds(mine, 'mine').equals(kinds(cmp, 'dictionary'))
    # no cost it does not know: not in the cost table, and the headline says so
    assert 'mine' not in mine.costs().index and 'The study knows no cost of mine' in mine.answer()
    # beside the pair instead of in it: the dictionary's row, to the last digit
    beside = compare_study(replace(base, systems=f'mine={path}'), progress=False)
    rows = beside.others_table.drop(columns='other').set_index('against')
    assert beside.others == ['dictionary', 'mine'] and rows.iloc[:2].equals(rows.iloc[2:])
    assert 'trained elsewhere on the study\'s folds' in beside.others_words()
    # the system's own names for two types, mapped back by a type map file: the same figures
    (tmp_path / 'renamed').mkdir()
    renamed = _fold_files(cmp, tmp_path / 'renamed', 'dictionary', {'person': 'PER', 'company': 'ORG'})
    (tmp_path / 'mine.types').write_text('PER person\nORG company\n'
                                         + ''.join(f'{t} {t}\n' for t in cmp.corpus.entity_types
                                                   if t not in ('person', 'company')))
    mapped = compare_study(replace(base, systems=f'mine={renamed}', system_types=f"mine={tmp_path / 'mine.types'}",
                                   pair='lstm-word,mine'), progress=False)
    assert mapped.headline.mean == mine.headline.mean and mapped.significance.equals(mine.significance)
    assert mapped.buckets.equals(mine.buckets)
    assert 'ORG → company' in mapped.readings['mine'].in_words() and not mapped.readings['mine'].other_types


def test_the_gold_system_scores_one_each_fold_from_its_own_file(cv_study, tmp_path):
    """Fold k's file holds its test sentences with their gold spans, then every other fold's with no entity (a
    sentence found twice takes the file's first): read for its own fold only, each fold scores 1.0. One span of fold 2
    ends inside a word: counted, shown and left out."""
    cfg, cmp = cv_study
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
    reading = gold.readings['gold']
    assert reading.unaligned == 1 and "1 span not on the corpus's word edges" in gold.others_words()
    assert gold.others_table.set_index(['other', 'against'])['f1_other'].min() > 0.99


@pytest.mark.parametrize('broken, needle', [
    ('missing-fold', r"fold3\.conll: no such file \(fold 3 of 3\)"),
    ('missing-sentence', r"fold2\.conll: no prediction for tested sentence 1 \(fold 2 of 3\), '"),
    ('other-words', r"fold2\.conll: no prediction for tested sentence 1 \(fold 2 of 3\), .*the file's sentence 1 has "
                    r"other words: 'WORDS"),
])
def test_each_broken_system_file_is_one_line_before_anything_trains(cv_study, tmp_path, broken, needle):
    cfg, cmp = cv_study
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
    with pytest.raises(ValueError, match=r"pair='lstm,mine': with extra_tests, name contestants, or a system"):
        StudyConfig(corpus=wnut_slice, systems=f'mine={tmp_path}/p.conll', pair='lstm,mine', extra_tests=wnut_slice)
    with pytest.raises(ValueError, match=r"system_types: 'theirs' is not one of the systems \(mine\)"):
        StudyConfig(corpus=wnut_slice, systems=f'mine={tmp_path}/p.conll', system_types=f'theirs={tmp_path}/p.conll')
    cfg = StudyConfig(corpus=wnut_slice, systems=f'mine={tmp_path}/p.conll', pair='bert,mine')
    assert cfg.models[0] == 'dictionary' and 'dictionary' not in cfg.trained and cfg.pair == ('bert', 'mine')
    assert all(rungs[0] == 'dictionary' for rungs in cfg.ladders().values())


def test_a_system_in_the_pair_is_scored_on_the_extra_tests_from_its_files(cv_study, tmp_path):
    """A system of the gold tags whose PATH names its predictions with {test}: each fold's file of the study's sentences
    and of the extra test (W-NUT 2016 sentences the slice lacks) — F1 1.0 on both, over the 3 folds' files."""
    cfg, cmp = cv_study
    sents = load_corpus().train[-40:]
    extra = write_conll(sents, tmp_path / 'elsewhere.conll')
    (tmp_path / 'test').mkdir(), (tmp_path / 'elsewhere').mkdir()
    for k, c in enumerate(cmp.folds.corpora):
        write_conll(c.test, tmp_path / 'test' / f'fold{k + 1}.conll')
        write_conll(sents[::-1], tmp_path / 'elsewhere' / f'fold{k + 1}.conll')  # any order
    path = f'{tmp_path}/{{test}}/fold{{fold}}.conll'
    gold = compare_study(replace(cfg, systems=f'gold={path}', pair='lstm-word,gold', extra_tests=extra), progress=False)
    rows = gold.extra_table.set_index('kind')
    assert rows.loc['in-domain', 'f1_gold'] == rows.loc['extra', 'f1_gold'] == 1.0 and rows.loc['extra', 'runs'] == 3
    assert 'gold' in gold.extra_words()
    with pytest.raises(ValueError, match=r"pair='lstm-word,gold': with extra_tests, name contestants, or a system"):
        StudyConfig(corpus=cfg.corpus, systems=f"gold={tmp_path / 'test' / 'fold{fold}.conll'}", pair='lstm-word,gold',
                    extra_tests=extra)
