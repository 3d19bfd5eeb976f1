"""The standard Hugging Face token-classification recipe, the peer of our BERT tagger: `AutoModelForTokenClassification`
fine-tuned by the `Trainer` (first sub-word labelled, -100 elsewhere, `DataCollatorForTokenClassification`), and its
`pipeline("token-classification")` for prediction; the bundled MiniLM encoder and the settings of
`measure.BERT_TRAIN`."""
from __future__ import annotations

import contextlib
import sys
import tempfile
import time

import torch

from measure import BERT_TRAIN, EVAL_BATCH, SEED


class HfRecipe:
    "The standard Hugging Face token-classification fine-tuning recipe with the bundled MiniLM encoder."

    def __init__(self, labels: list[str]):
        from transformers import AutoTokenizer
        from ner_study.bert import resolve_encoder
        self.path = resolve_encoder('minilm')[0]
        self.labels = list(labels)
        self.label2id = {l: i for i, l in enumerate(self.labels)}
        self.tok = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = None

    def encode(self, sentences):
        "Tokenise pre-split words; label the first sub-word of each word, -100 elsewhere (as run_ner.py does)."
        from datasets import Dataset
        enc = self.tok([s.tokens for s in sentences], is_split_into_words=True, truncation=True, max_length=256)
        labels = []
        for i, s in enumerate(sentences):
            prev, row = None, []
            for w in enc.word_ids(i):
                row.append(-100 if w is None or w == prev else self.label2id[s.tags[w]])
                prev = w
            labels.append(row)
        return Dataset.from_dict({**{k: enc[k] for k in enc.keys()}, 'labels': labels})

    def train(self, train, epochs: int, sampling: str = 'random') -> float:
        """Fine-tune a fresh model; returns the Trainer's own train_runtime (training loop only, no evaluation or
        saving)."""
        from transformers import (AutoModelForTokenClassification, DataCollatorForTokenClassification, Trainer,
                                  TrainingArguments, set_seed)
        ds = self.encode(train)
        set_seed(SEED)
        self.model = AutoModelForTokenClassification.from_pretrained(
            self.path, num_labels=len(self.labels), id2label=dict(enumerate(self.labels)), label2id=self.label2id,
            local_files_only=True)
        with tempfile.TemporaryDirectory(prefix='ner-bench-hf-') as d:
            args = TrainingArguments(
                output_dir=d, num_train_epochs=epochs, per_device_train_batch_size=BERT_TRAIN['batch_size'],
                per_device_eval_batch_size=EVAL_BATCH, learning_rate=BERT_TRAIN['lr'],
                                     weight_decay=BERT_TRAIN['weight_decay'],
                warmup_steps=BERT_TRAIN['warmup_ratio'],  # transformers 5: a float in [0, 1) is a ratio of the steps
                lr_scheduler_type='linear', max_grad_norm=BERT_TRAIN['max_grad_norm'], seed=SEED,
                train_sampling_strategy=sampling, eval_strategy='no', save_strategy='no', logging_strategy='no',
                report_to='none', disable_tqdm=True, dataloader_num_workers=0,
                use_cpu=not torch.cuda.is_available())
            trainer = Trainer(model=self.model, args=args, train_dataset=ds,
                              data_collator=DataCollatorForTokenClassification(self.tok), processing_class=self.tok)
            with contextlib.redirect_stdout(sys.stderr): out = trainer.train()  # it prints its metrics
            self.trainer = trainer
        return float(out.metrics['train_runtime'])

    def pipeline(self):
        from transformers import pipeline
        return pipeline('token-classification', model=self.model, tokenizer=self.tok, aggregation_strategy='first',
                        device=0 if torch.cuda.is_available() else -1)


def hf_predict_tags(recipe: HfRecipe, sentences) -> list[list[str]]:
    "Word tags of the HF model: arg-max at each word's first sub-word; words cut off by truncation get 'O'."
    enc = recipe.tok([s.tokens for s in sentences], is_split_into_words=True, truncation=True, max_length=256)
    logits = recipe.trainer.predict(recipe.encode(sentences)).predictions
    out = []
    for i, s in enumerate(sentences):
        tags, prev = ['O'] * len(s.tokens), None
        for j, w in enumerate(enc.word_ids(i)):
            if w is not None and w != prev: tags[w] = recipe.labels[int(logits[i, j].argmax())]
            prev = w
        out.append(tags)
    return out


def pipeline_tags(outputs, sentences) -> list[list[str]]:
    "Convert the pipeline's aggregated entities (character offsets in the space-joined words) back to IOB2 word tags."
    out = []
    for ents, words in zip(outputs, sentences):
        starts, pos = {}, 0
        for k, w in enumerate(words): starts[pos] = k; pos += len(w) + 1
        ends = {st + len(words[k]): k for st, k in starts.items()}
        tags = ['O'] * len(words)
        for e in ents:
            a, b = starts.get(e['start']), ends.get(e['end'])
            if a is None or b is None: continue
            tags[a] = f"B-{e['entity_group']}"
            for k in range(a + 1, b + 1): tags[k] = f"I-{e['entity_group']}"
        out.append(tags)
    return out


def run_pipeline(pipe, sents):
    pipe(sents[:8], is_split_into_words=True, batch_size=EVAL_BATCH)  # warm-up
    t0 = time.perf_counter()
    outputs = pipe(sents, is_split_into_words=True, batch_size=EVAL_BATCH)
    return outputs, time.perf_counter() - t0
