"""Corpora as annotation tools write them: every format read back to the same entities, and hand-made files shaped like
real exports (Label Studio, Doccano, Prodigy/spaCy, brat, tables of tokens and tags), each with its expected outcome."""
import json
import subprocess
import sys

import pytest

from ner_study.corpora import (CorpusSpec, bundled_wnut16_path, load_corpus, read_conll, read_corpus_documents,
                               read_corpus_file)
from ner_study.span_readers import read_documents, sniff_format, tagged_documents
from ner_study.span_writers import entity_spans, tagged_document, write_documents
from ner_study.spans import CorpusError, Sentence
from ner_study.tags import iob2_spans

CLI = [sys.executable, '-c', 'import sys; from ner_study.cli import main; sys.exit(main())']
SPAN_FORMATS = ('label-studio', 'doccano', 'spacy', 'brat')


def _wnut_documents():
    """W-NUT 2016, each sentence a document of its words joined by spaces; an emoji before the entities of every fifth
    one."""
    docs = []
    for i, s in enumerate(read_conll(bundled_wnut16_path())[0]):
        if i % 5 == 0 and iob2_spans(s.tags): s = Sentence(['🎉'] + s.tokens, ['O'] + s.tags)
        doc, offsets = tagged_document(f'sentence {i + 1}', [s])
        docs.append((doc, [s], offsets))
    return docs


@pytest.fixture(scope='module')
def wnut_docs():
    return _wnut_documents()


def _entities(tagged):
    "Per document: its text, and each entity's type and exact characters."
    return [(doc.text, [(s.label, doc.text[s.start:s.end]) for s in entity_spans(sents, offs)])
            for doc, sents, offs in tagged]


@pytest.mark.parametrize('fmt', SPAN_FORMATS + ('conll',))
def test_wnut16_in_every_format_reads_back_the_same(fmt, wnut_docs, tmp_path):
    """Every sentence's entities come back with the same type and characters; words and tags too where the format keeps
    the words; read, written, read is the identity."""
    out = write_documents(wnut_docs, tmp_path / fmt, fmt)
    assert sniff_format(out) == fmt
    sentences, report, _ = read_corpus_documents(out)
    gold = [s for _, sents, _ in wnut_docs for s in sents]
    assert len(sentences) == len(gold) == 2394
    chars = lambda ss: [[(t, ''.join(s.tokens[a:b])) for t, a, b in iob2_spans(s.tags)] for s in ss]
    assert chars(sentences) == chars(gold)
    if fmt in ('spacy', 'conll'): assert sentences == gold, 'the format keeps the words: the same words and tags'
    if fmt != 'conll':
        docs, reading = read_documents(out)
        back = tagged_documents(docs, reading)
        assert _entities(back) == _entities(wnut_docs)
        assert reading.kept == reading.spans == 1496 and reading.split_words == 0 and not reading.drop_counts
        if fmt == 'doccano': assert sum(reading.converted.values()) > 0, (
            'Doccano counts UTF-16 units: the emoji documents were converted')
        again = write_documents(back, tmp_path / f'{fmt}-again', fmt)
        if fmt == 'brat': assert all((again / p.name).read_text() == p.read_text() for p in out.iterdir())
        else: assert again.read_text() == out.read_text()


def _write(path, text):
    path.write_bytes(text.encode('utf-8'))
    return path


def _ls_task(text, results, **task):
    return {'id': task.pop('id', 1), 'data': task.pop('data', {'text': text}),
            'annotations': task.pop('annotations', [{'id': 1, 'result': results, 'was_cancelled': False}]), **task}


def _ls(start, end, label, text=None, rid='r', **kw):
    return {'id': rid, 'type': 'labels', 'from_name': 'label', 'to_name': kw.pop('to_name', 'text'),
            'value': {'start': start, 'end': end, **({'text': text} if text is not None else {}), 'labels': [label]}}


def _read(path):
    docs, reading = read_documents(path)
    return tagged_documents(docs, reading), reading


def test_label_studio_export_as_it_is_written(tmp_path):
    """Two annotators, a cancelled annotation, choices beside labels, stored text cut short or with a trailing space, a
    label with a space, the text under another key, a task never annotated."""
    text = 'Tried the Hazy IPA at Brew Dog , Berlin'
    tasks = [
        _ls_task(text, [], annotations=[
            {'id': 9, 'was_cancelled': True, 'result': [_ls(0, 5, 'junk', 'Tried')]},
            # cut short; a space too many
            {'id': 10, 'result': [_ls(10, 18, 'Beer Style', 'Hazy IPA '), _ls(22, 30, 'brewery', 'Brew'),
                                  {'id': 'c', 'type': 'choices', 'from_name': 'sentiment', 'to_name': 'text',
                                   'value': {'choices': ['Positive']}}]},
            {'id': 11, 'result': [_ls(33, 39, 'city', 'Berlin')]}]),  # the second annotator: not used
        _ls_task(None, [_ls(0, 5, 'city', 'Paris', to_name='review')], id=2,
                 data={'review': 'Paris in May', 'source': 'web'}),
        _ls_task('never annotated', [], id=3, annotations=[]),
    ]
    path = _write(tmp_path / 'export.json', json.dumps(tasks))
    assert sniff_format(path) == 'label-studio'
    tagged, reading = _read(path)
    assert _entities(tagged) == [(text, [('Beer Style', 'Hazy IPA'), ('brewery', 'Brew Dog')]),
                                 ('Paris in May', [('city', 'Paris')])]
    assert (reading.text_mismatches == 2 and reading.skipped == {'tasks not annotated': 1}
            and reading.ignored == {'choices results': 1})
    assert 'the first not cancelled is used' in reading.in_words()
    sentences, report = read_corpus_file(path)
    assert sentences[0].tags[2:5] == ['B-Beer Style', 'I-Beer Style', 'O']
    out = tmp_path / 'out.conll'
    subprocess.run(CLI + ['convert', str(path), str(out), '--to', 'conll'], check=True, capture_output=True)
    assert read_corpus_file(out)[0] == sentences, 'a label with a space survives CoNLL (tab-separated)'


def test_label_studio_offsets_in_utf16_from_an_older_version(tmp_path):
    """Offsets a browser counted in UTF-16 (an emoji before the span) are told by the stored text and converted,
    document by document."""
    text = 'Lunch 🍕🍕 with Taylor Swift'
    tasks = [_ls_task(text, [_ls(16, 28, 'person', 'Taylor Swift')]),  # UTF-16: each pizza counts two
             _ls_task(text, [_ls(14, 26, 'person', 'Taylor Swift')], id=2)]  # code points
    tagged, reading = _read(_write(tmp_path / 'export.json', json.dumps(tasks)))
    assert _entities(tagged) == [(text, [('person', 'Taylor Swift')])] * 2
    assert reading.converted == {'UTF-16 code units': 1} and reading.text_mismatches == 0


def test_label_studio_json_min(tmp_path):
    """JSON-MIN: one flat record per annotation, the spans under the labelling field's name; a task's first record is
    used."""
    rows = [{'text': 'Paris Hilton', 'id': 7,
             'label': [{'start': 0, 'end': 12, 'text': 'Paris Hilton', 'labels': ['person']}],
             'annotator': 1, 'annotation_id': 3, 'created_at': '2024-01-01', 'lead_time': 3.2},
            {'text': 'Paris Hilton', 'id': 7, 'label': [{'start': 0, 'end': 5, 'text': 'Paris', 'labels': ['city']}],
             'annotator': 2, 'annotation_id': 4}]
    path = _write(tmp_path / 'min.json', json.dumps(rows))
    assert sniff_format(path) == 'label-studio-min'
    tagged, reading = _read(path)
    assert (_entities(tagged) == [('Paris Hilton', [('person', 'Paris Hilton')])]
            and 'a record per annotator' in reading.in_words())


def test_doccano_lists_dicts_crlf_and_emoji(tmp_path):
    """Doccano's [start, end, label] lists and its entity dicts, in UTF-16 units after an emoji, CRLF line ends in the
    file and in the text."""
    lines = [{'id': 1, 'text': '😀 Apple in Paris', 'label': [[3, 8, 'company'], [12, 17, 'city']], 'Comments': []},
             {'id': 2, 'text': 'Visit\r\nRome',
              'entities': [{'id': 5, 'label': 'city', 'start_offset': 7, 'end_offset': 11}], 'relations': []},
             {'id': 3, 'text': 'no labels key here'}]
    path = _write(tmp_path / 'doccano.jsonl', ''.join(json.dumps(x, ensure_ascii=False) + '\r\n' for x in lines))
    assert sniff_format(path) == 'doccano'
    tagged, reading = _read(path)
    assert _entities(tagged) == [('😀 Apple in Paris', [('company', 'Apple'), ('city', 'Paris')]),
                                 ('Visit\r\nRome', [('city', 'Rome')])]
    assert [s.tokens for s in tagged[1][1]] == [['Visit'], ['Rome']], 'a CRLF line end ends a sentence'
    assert reading.skipped == {'lines without labels': 1}


def test_prodigy_jsonl_answers_tokens_and_lines_without_spans(tmp_path):
    """Prodigy: rejected and ignored answers left out, an accepted line without spans has no entity, tokens are the
    words (a span ending inside one splits it)."""
    base = {'_input_hash': 1, '_task_hash': 2, '_view_id': 'ner_manual'}
    tokens = [{'text': 'iPhone12', 'start': 0, 'end': 8, 'id': 0}, {'text': 'rocks', 'start': 9, 'end': 14, 'id': 1}]
    lines = [{**base, 'text': 'iPhone12 rocks', 'tokens': tokens,
              'spans': [{'start': 0, 'end': 6, 'token_start': 0, 'token_end': 0, 'label': 'product'}],
              'answer': 'accept'},
             {**base, 'text': 'Paris', 'spans': [{'start': 0, 'end': 5, 'label': 'city'}], 'answer': 'reject'},
             {**base, 'text': 'Rome', 'spans': [{'start': 0, 'end': 4, 'label': 'city'}], 'answer': 'ignore'},
             {**base, 'text': '^^LOL^^', 'answer': 'accept'}]
    path = _write(tmp_path / 'prodigy.jsonl', ''.join(json.dumps(x) + '\n' for x in lines))
    assert sniff_format(path) == 'spacy'
    tagged, reading = _read(path)
    assert [s.tokens for _, sents, _ in tagged for s in sents] == [['iPhone', '12', 'rocks'],
                                                                   ['^', '^', 'LOL', '^', '^']]
    assert tagged[0][1][0].tags == ['B-product', 'O', 'O'] and reading.split_words == 1
    assert reading.skipped == {'reject answers': 1, 'ignore answers': 1}


def test_brat_with_attributes_notes_relations_nested_and_discontinuous(tmp_path):
    """brat: T lines are spans; A/M/N/#/R/E lines counted; a nested pair keeps the outer span; a discontinuous span over
    a line break is joined, one with words between dropped."""
    d = tmp_path / 'brat'; d.mkdir()
    text = 'Bank of America hired\nJohn Smith in New York and Boston\n'
    _write(d / 'a.txt', text)
    _write(d / 'a.ann',
           'T1\tOrganization 0 15\tBank of America\nT2\tLocation 8 15\tAmerica\nT3\tPerson 22 26;27 32\tJohn Smith\n'
                        'T4\tLocation 36 44;49 55\tNew York Boston\nA1\tNegated T1\nA2\tIndividual '
                        'T3\n#1\tAnnotatorNotes T1\t bank\n'
                        'R1\tWorksFor Arg1:T3 Arg2:T1\t\nN1\tReference T2 Wikipedia:1\tAmerica\n')
    assert sniff_format(d) == 'brat'
    tagged, reading = _read(d)
    assert _entities(tagged) == [(text, [('Organization', 'Bank of America'), ('Person', 'John Smith')])]
    assert reading.drop_counts == {'nested': 1, 'discontinuous': 1}
    assert reading.ignored == {'attributes': 2, 'notes': 1, 'relations': 1, 'normalizations': 1}
    report = read_corpus_file(d)[1]
    assert (report.format == 'brat standoff'
            and 'brat standoff: 1 document, 2 sentences, 4 spans read, 2 kept' in report.in_words())


def test_brat_offsets_that_count_crlf_as_one(tmp_path):
    """A brat file with Windows line ends whose offsets count \\r\\n as one character (brat's known fault): its stored
    texts tell, and it is converted."""
    d = tmp_path / 'brat'; d.mkdir()
    _write(d / 'a.txt', 'Line one\r\nParis is nice\r\n')
    _write(d / 'a.ann', 'T1\tLocation 9 14\tParis\n')
    tagged, reading = _read(d)
    assert _entities(tagged)[0][1] == [('Location', 'Paris')] and reading.converted == {'code points, CRLF as one': 1}


def test_tables_of_tokens_and_tags(tmp_path):
    """tokens + ner_tags as JSON Lines (names), Parquet (ids, names in the Hugging Face metadata), CSV (lists as text)
    and JSON Lines of ids with labels.txt."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = [(['EU', 'rejects', 'German', 'call'], ['B-ORG', 'O', 'B-MISC', 'O']),
            (['Peter', 'Blackburn'], ['B-PER', 'I-PER'])]
    names = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-MISC', 'I-MISC']
    ids = [[names.index(t) for t in tags] for _, tags in rows]
    jl = _write(tmp_path / 'names.jsonl',
                ''.join(json.dumps({'id': str(i), 'tokens': t, 'ner_tags': g}) + '\n' for i, (t, g) in enumerate(rows)))
    table = pa.table({'tokens': [t for t, _ in rows], 'ner_tags': ids})
    meta = {'info': {'features': {'tokens': {'feature': {'dtype': 'string', '_type': 'Value'}, '_type': 'List'},
                                  'ner_tags': {'feature': {'names': names, '_type': 'ClassLabel'}, '_type': 'List'}}}}
    pq.write_table(table.replace_schema_metadata({'huggingface': json.dumps(meta)}), tmp_path / 'ids.parquet')
    _write(tmp_path / 'table.csv', 'tokens,ner_tags\n' + ''.join(f'"{t}","{g}"\n' for t, g in rows))
    (tmp_path / 'ids').mkdir()
    idl = _write(tmp_path / 'ids' / 'train.jsonl',
                 ''.join(json.dumps({'tokens': t, 'ner_tags': g}) + '\n' for (t, _), g in zip(rows, ids)))
    _write(tmp_path / 'ids' / 'labels.txt', '\n'.join(names) + '\n')
    expected = [Sentence(t, g) for t, g in rows]
    for path in (jl, tmp_path / 'ids.parquet', tmp_path / 'table.csv', idl):
        assert sniff_format(path) == 'tokens' and read_corpus_file(path)[0] == expected, path.name
    (tmp_path / 'ids' / 'labels.txt').unlink()
    with pytest.raises(CorpusError, match='tags are ids, and no names are given'): read_corpus_file(idl)


@pytest.mark.parametrize('name,content,needle', [
    ('unknown.json', '[{"foo": 1, "bar": 2}]', 'a JSON shape ner-study does not read (keys: bar, foo)'),
    ('outside.json', json.dumps([_ls_task('short', [_ls(0, 50, 'x')])]),
     "task 1: span 0-50 'x' lies outside the text (5 characters)"),
    ('notstring.jsonl', '{"text": "Paris", "label": [[0, 5, 7]]}\n',
     'notstring.jsonl:1: label 7: expected a label name'),
    ('badline.jsonl', '{"text": "a", "label": []}\n{"text": oops}\n', 'badline.jsonl:2: not JSON'),
    ('nottext.json', json.dumps([_ls_task(None, [_ls(0, 1, 'x', to_name='t')], data={'a': 'x', 'b': 'y'})]),
     'which field of "data" holds the text?'),
])
def test_bad_exports_are_one_line_naming_file_and_line_or_task(tmp_path, name, content, needle):
    path = _write(tmp_path / name, content)
    r = subprocess.run(CLI + ['convert', str(path), str(tmp_path / 'out.conll'), '--to', 'conll'], capture_output=True,
                       text=True)
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / 'out.conll').exists()


def test_documents_are_dealt_whole_into_folds(tmp_path):
    "A Label Studio conversion of W-NUT 2016 with ten sentences a task: each task lands in one fold, whole."
    sents = read_conll(bundled_wnut16_path())[0]
    tagged = []
    for i in range(0, len(sents), 10):
        doc, offsets = tagged_document(f'task {i // 10 + 1}', sents[i:i + 10])
        tagged.append((doc, sents[i:i + 10], offsets))
    path = write_documents(tagged, tmp_path / 'wnut16.json', 'label-studio')
    folds = [load_corpus(CorpusSpec(str(path), folds=4, fold=k)) for k in range(4)]
    assert sum(len(c.test) for c in folds) == 2394 and 'documents whole' in folds[0].split_note
    key = lambda s: ''.join(s.tokens)  # the read-back words may be cut otherwise: the characters identify a sentence
    tasks_of = {}
    for t, (_, ss, _) in enumerate(tagged):
        for s in ss: tasks_of.setdefault(key(s), set()).add(t)
    folds_of_task = {}
    for k, c in enumerate(folds):
        for s in c.test:
            if len(tasks_of[key(s)]) == 1: folds_of_task.setdefault(next(iter(tasks_of[key(s)])), set()).add(k)
    assert len(folds_of_task) > 200 and all(len(v) == 1 for v in folds_of_task.values()), (
        'every task tested in one fold')


def test_the_folds_written_out_are_the_studys(tmp_path):
    """`ner-study folds` on a Label Studio export of ten sentences a task: each fold's files, CoNLL and Label Studio,
    read back are the study's fold, its tasks whole."""
    sents = read_conll(bundled_wnut16_path())[0][:300]
    tagged = []
    for i in range(0, len(sents), 10):
        doc, offsets = tagged_document(f'task {i // 10 + 1}', sents[i:i + 10])
        tagged.append((doc, sents[i:i + 10], offsets))
    path = write_documents(tagged, tmp_path / 'tasks.json', 'label-studio')
    r = subprocess.run(CLI + ['folds', str(path), str(tmp_path / 'folds'), '--folds', '3'], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stderr.splitlines()[-1].startswith(f"wrote {tmp_path / 'folds'}: 3 folds"), r.stderr
    manifest = json.loads((tmp_path / 'folds' / 'folds.json').read_text())
    study = [load_corpus(CorpusSpec(str(path), folds=3, fold=k)) for k in range(3)]
    for row, c in zip(manifest['fold_list'], study):
        assert row['fingerprint'] == c.fingerprint()
        for split, sentences in c.splits.items():
            conll, own = (read_corpus_documents(tmp_path / 'folds' / f)[0] for f in row['files'][split])
            assert conll == sentences == own
        assert len(json.loads((tmp_path / 'folds' / row['files']['test'][1]).read_text())) == len(c.test) // 10


def test_the_comparison_on_exports_of_the_corpus(tmp_path):
    """A miniature comparison on 200 W-NUT 2016 sentences: as spaCy JSON Lines (words given) the same figures as the
    CoNLL file; as Label Studio tasks of ten sentences, dealt into folds a task at a time."""
    from ner_study.comparison import compare_study
    from ner_study.study import StudyConfig
    sents = read_conll(bundled_wnut16_path())[0][:200]
    each = []
    for i, s in enumerate(sents):
        doc, offsets = tagged_document(f'sentence {i + 1}', [s])
        each.append((doc, [s], offsets))
    tasks = []
    for i in range(0, len(sents), 10):
        doc, offsets = tagged_document(f'task {i // 10 + 1}', sents[i:i + 10])
        tasks.append((doc, sents[i:i + 10], offsets))
    conll = write_documents(each, tmp_path / 'conll' / 'wnut.conll', 'conll')
    spacy = write_documents(each, tmp_path / 'spacy' / 'wnut.jsonl', 'spacy')
    ls = write_documents(tasks, tmp_path / 'ls' / 'wnut.json', 'label-studio')

    def study(path, runs):
        return compare_study(StudyConfig(corpus=str(path), models='lstm-word,lstm-char', folds=2, top_seeds=1,
                                         seed_budget=0, fractions='1',
                                         epochs=1, max_train_sentences=24, output_dir=str(tmp_path / runs), threads=1),
                             progress=False)
    a, b, c = study(conll, 'runs-conll'), study(spacy, 'runs-spacy'), study(ls, 'runs-ls')
    assert a.runs_table['f1'].equals(b.runs_table['f1']) and a.headline.mean == b.headline.mean, (
        'the same words, the same figures')
    assert [r.run_dir for r in a.runs] != [r.run_dir for r in b.runs], 'trained again, not reused'
    assert 'documents whole' in c.folds.first.split_note and len(c.runs) == len(a.runs)
    assert sum(len(f.test) for f in c.folds.corpora) == 200


def test_a_test_set_from_elsewhere_as_a_brat_folder_or_an_export(tmp_path, wnut_docs):
    "extra_tests takes any format: a brat folder, a folder whose test split is a brat folder, a Doccano file."
    from ner_study.extra_tests import read_extra_tests
    some = wnut_docs[:50]
    write_documents(some, tmp_path / 'brat', 'brat')
    write_documents(some, tmp_path / 'splits' / 'test', 'brat')
    write_documents(some, tmp_path / 'elsewhere.jsonl', 'doccano')
    types = sorted({s.label for d, ss, o in some for s in entity_spans(ss, o)})
    tests = read_extra_tests(f'{tmp_path / "brat"},{tmp_path / "splits"},{tmp_path / "elsewhere.jsonl"}', types)
    assert [len(t.sentences) for t in tests] == [50, 50, 50]
