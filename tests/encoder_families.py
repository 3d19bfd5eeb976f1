"""Small encoders of every tokenizer family a user may bring, built in seconds: random weights from a small
configuration and a tokenizer trained on a few hundred sentences with the `tokenizers` library, saved as a local Hugging
Face folder."""
import json
from pathlib import Path

import transformers as T
from tokenizers import BertWordPieceTokenizer, ByteLevelBPETokenizer, SentencePieceUnigramTokenizer

# the layers of every family: tiny, so that a training step takes milliseconds
SMALL = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
WORDPIECE_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
ROBERTA_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>', '<mask>']  # <pad> is id 1, RoBERTa's padding index


def _wordpiece(texts):
    t = BertWordPieceTokenizer(lowercase=True)
    t.train_from_iterator(texts, vocab_size=600, special_tokens=WORDPIECE_SPECIALS, show_progress=False)
    return t.get_vocab()


def _byte_level_bpe(texts):
    t = ByteLevelBPETokenizer()
    t.train_from_iterator(texts, vocab_size=600, special_tokens=ROBERTA_SPECIALS, show_progress=False)
    model = json.loads(t.to_str())['model']
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(' ')) for m in model['merges']]
    return t, model['vocab'], merges


def _unigram(texts, specials, unk):
    t = SentencePieceUnigramTokenizer()
    t.train_from_iterator(texts, vocab_size=600, special_tokens=specials, unk_token=unk, show_progress=False)
    return [tuple(p) for p in json.loads(t.to_str())['model']['vocab']]


def _family(name, texts):
    "(tokenizer, configuration) of family `name`, the tokenizer of the family's own class where transformers has one."
    if name in ('bert', 'distilbert', 'electra'):  # WordPiece
        vocab = _wordpiece(texts)
        if name == 'bert': return T.BertTokenizer(vocab=vocab), T.BertConfig(vocab_size=len(vocab),
                                                                             max_position_embeddings=512, **SMALL)
        if name == 'electra':
            return T.ElectraTokenizer(vocab=vocab), T.ElectraConfig(vocab_size=len(vocab), embedding_size=16,
                                                                    max_position_embeddings=512, **SMALL)
        return T.DistilBertTokenizer(vocab=vocab), T.DistilBertConfig(vocab_size=len(vocab), dim=32, n_layers=1,
                                                                      n_heads=2, hidden_dim=64,
                                                                      max_position_embeddings=512)
    if name == 'roberta':  # byte-level BPE, positions counted from after the padding index
        _, vocab, merges = _byte_level_bpe(texts)
        return (T.RobertaTokenizer(vocab=vocab, merges=merges),
                T.RobertaConfig(vocab_size=len(vocab), pad_token_id=1, max_position_embeddings=514, **SMALL))
    if name == 'modernbert':  # byte-level BPE in a tokenizer of no family class, rotary positions
        t, vocab, _ = _byte_level_bpe(texts)
        tok = T.PreTrainedTokenizerFast(tokenizer_object=t._tokenizer, cls_token='<s>', sep_token='</s>',
                                        pad_token='<pad>',
                                        unk_token='<unk>', mask_token='<mask>')
        return tok, T.ModernBertConfig(vocab_size=len(vocab), pad_token_id=1, cls_token_id=0, sep_token_id=2,
                                       bos_token_id=0,
                                       eos_token_id=2, max_position_embeddings=512, **SMALL)
    if name == 'deberta-v2':  # SentencePiece Unigram (DeBERTa-v3's tokenizer)
        vocab = _unigram(texts, WORDPIECE_SPECIALS, '[UNK]')
        return T.DebertaV2Tokenizer(vocab=vocab, unk_id=1), T.DebertaV2Config(vocab_size=len(vocab),
                                                                              max_position_embeddings=512, **SMALL)
    if name == 'xlm-roberta':  # SentencePiece Unigram, RoBERTa's positions
        vocab = _unigram(texts, ROBERTA_SPECIALS, '<unk>')
        return (T.XLMRobertaTokenizer(vocab=vocab),
                T.XLMRobertaConfig(vocab_size=len(vocab), pad_token_id=1, max_position_embeddings=514, **SMALL))
    raise ValueError(f'unknown family {name!r}')


FAMILIES = ['bert', 'distilbert', 'electra', 'roberta', 'deberta-v2', 'xlm-roberta', 'modernbert']


def build_encoder(name: str, texts: list[str], folder: Path) -> Path:
    "A random-weight encoder of family `name` with a tokenizer trained on `texts`, saved in `folder`."
    tok, cfg = _family(name, texts)
    T.AutoModel.from_config(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
