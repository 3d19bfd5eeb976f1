"""Every encoder family a user may bring with `-p encoder`: the tagger feeds it the pieces of pretraining, labels each
word on a piece that holds its characters, respects its usable positions, trains a step, saves, reloads and predicts the
same tags, and tags raw text with offsets. The encoders are small random-weight ones built here
(tests/encoder_families.py)."""
import numpy as np
import pytest
import torch

from encoder_families import FAMILIES, build_encoder
from ner_study.bert import (BertConfig, BertTagger, EncoderError, blank_pieces, label_pieces, load_encoder,
                            split_and_running, word_pieces)
from ner_study.corpora import labels_of, load_corpus
from ner_study.encoding import Vocab
from ner_study.packed import LazyAdamW
from ner_study.predict import Predictor


@pytest.fixture(scope='module')
def corpus():
    return load_corpus()


@pytest.fixture(scope='module')
def encoders(corpus, tmp_path_factory):
    "One folder per family, tokenizers trained on 400 training sentences of W-NUT 2016."
    texts = [' '.join(s.tokens) for s in corpus.train[:400]]
    root = tmp_path_factory.mktemp('encoders')
    return {name: build_encoder(name, texts, root / name) for name in FAMILIES}


@pytest.mark.parametrize('family', FAMILIES)
def test_pre_split_words_get_the_pieces_of_running_text(family, encoders, corpus):
    tok, _ = load_encoder(str(encoders[family]))
    for s in corpus.test[:100]:
        pre, run = split_and_running(tok, s.tokens)
        assert pre == run, (family, s.tokens)


def test_a_byte_level_tokenizer_is_loaded_with_the_space_before_every_word(encoders):
    from transformers import AutoTokenizer
    words = 'Taylor Swift played in New York'.split()
    for family in ('roberta', 'modernbert'):
        raw = AutoTokenizer.from_pretrained(encoders[family])  # as loaded by name alone: the bug the check exists for
        pre, run = split_and_running(raw, words)
        assert pre != run and not any(p.startswith('Ġ') for p in pre), (family, pre)
        tok, _ = load_encoder(str(encoders[family]))
        enc = tok(words, is_split_into_words=True, add_special_tokens=False)
        ids = enc.word_ids()
        firsts = [p for i, p in enumerate(enc.tokens()) if i == 0 or ids[i - 1] != ids[i]]
        assert len(firsts) == len(words) and all(p.startswith('Ġ') for p in firsts), (family, enc.tokens())
        assert enc.tokens() == split_and_running(tok, words)[1]


def test_a_tokenizer_that_cannot_match_running_text_is_refused(encoders, tmp_path):
    import shutil
    from tokenizers import normalizers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast
    backend = AutoTokenizer.from_pretrained(encoders['bert']).backend_tokenizer
    backend.normalizer = normalizers.Prepend('x')  # once before running text, but before each word passed on its own
    folder = tmp_path / 'odd'
    shutil.copytree(encoders['bert'], folder, ignore=shutil.ignore_patterns('*token*', 'vocab*'))
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token='[UNK]', cls_token='[CLS]', sep_token='[SEP]',
                            pad_token='[PAD]',
                            mask_token='[MASK]').save_pretrained(folder)
    with pytest.raises(EncoderError,
                       match=r"encoder '.*odd': its tokenizer gives words passed one by one other pieces than running "
                             r"text"):
        load_encoder(str(folder))


@pytest.mark.parametrize('family', ['deberta-v2', 'xlm-roberta'])
def test_a_words_label_sits_on_a_piece_that_holds_its_characters(family, encoders, corpus):
    tok, _ = load_encoder(str(encoders[family]))
    blank = blank_pieces(tok)
    assert len(blank) >= 1 and tok.convert_ids_to_tokens(int(blank[0])) == '▁'
    moved = 0
    for s in corpus.test:
        ids, first = word_pieces(tok, s.tokens)
        at = label_pieces(ids, first, blank)
        ends = np.append(first[1:], len(ids))
        for w in range(len(s.tokens)):
            holds = [i for i in range(first[w], ends[w]) if ids[i] not in blank]
            assert at[w] == (holds[0] if holds else first[w])
        moved += int((at != first).sum())
    assert moved > 0, 'the lone ▁ occurs in these tokenizers: some labels must move'


@pytest.mark.parametrize('family', ['roberta', 'xlm-roberta'])
def test_the_usable_positions_of_an_encoder_that_counts_from_the_padding_index(family, encoders, corpus):
    labels = Vocab(labels_of(corpus.train))
    with pytest.raises(ValueError, match=r'max_length must be in \[8, 512\]'):
        BertTagger(BertConfig(encoder=str(encoders[family]), max_length=513), labels)
    tagger = BertTagger(BertConfig(encoder=str(encoders[family]), max_length=512), labels)
    long = [w for s in corpus.train[:60] for w in s.tokens]  # one sentence of more than 512 pieces: windows of 512
    assert len(tagger.tokenizer(long, is_split_into_words=True, add_special_tokens=False).tokens()) > 600
    assert len(tagger.decode(tagger.collate([long]))[0]) == len(long)


@pytest.mark.parametrize('family', FAMILIES)
def test_trains_saves_reloads_and_predicts_raw_text(family, encoders, corpus, tmp_path):
    torch.manual_seed(0)
    labels = Vocab(labels_of(corpus.train))
    tagger = BertTagger(BertConfig(encoder=str(encoders[family]), use_crf=True), labels)
    batch = [s for s in corpus.train[:16]]
    # the learner's: sparse word-piece gradients where packed
    opt = LazyAdamW([p for p in tagger.parameters() if p.requires_grad], lr=1e-3)
    tagger.train()
    loss = tagger.loss(tagger.collate([s.tokens for s in batch], [s.tags for s in batch]))
    loss.backward(); opt.step()
    assert torch.isfinite(loss)
    with torch.no_grad():  # every word a person: each word becomes a span, so every word's offsets are checked below
        tagger.head[-1].bias[labels.stoi['B-person']] += 100.0
    tagger.eval()
    sentences = [s.tokens for s in corpus.test[:20]]
    before = tagger.decode(tagger.collate(sentences))
    tagger.save(tmp_path / 'best')
    reloaded = BertTagger.load(tmp_path / 'best')
    reloaded.eval()
    assert reloaded.decode(reloaded.collate(sentences)) == before
    text = 'Taylor Swift is playing in New York tonight !'
    spans = Predictor.load(tmp_path / 'best').predict(text)
    assert [text[sp.start:sp.end] for sp in spans] == text.split(), (family, spans)
