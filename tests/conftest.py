"""Shared fixtures of the pytest suite."""
import pytest

from ner_study.corpora import load_corpus, write_slice


@pytest.fixture(scope='session')
def wnut_slice(tmp_path_factory) -> str:
    """A slice of the bundled W-NUT 2016 as a CoNLL folder (300 training, 40 dev, 40 test sentences): tiny runs that
    score every word of their splits in a second."""
    return write_slice(load_corpus(), tmp_path_factory.mktemp('wnut16-slice'))
