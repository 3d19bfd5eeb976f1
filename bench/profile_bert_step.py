"""Phase timings of BERT training steps, ours and the HF recipe's model + collator + LengthGroupedSampler in the same loop.
Usage: [MODE=pieces|words] [CHUNK=50] [DENSE=1] [FREEZE_WE=1] [COMPILE=1] [NOHF=1] [WARM_ALL=1] [PROFILE=1 [ROWS=14]] [SLOWEST=5]
       python bench/profile_bert_step.py N [corpus folder]
Ours is the tagger as the learner trains it (packed encoder pass, LazyAdamW, clip_gradients; DENSE=1: dense word-piece
gradients); PROFILE=1 prints torch.profiler's operator table of our timed steps (self CPU time); SLOWEST=k our k
slowest steps (seconds, padded batch shape, real pieces, minor page faults): one odd batch hides in an average.
(a measurement aid behind the README's profile of a step; not part of bench/run.sh)"""
import os, sys, time, math, json, resource
os.environ['TOKENIZERS_PARALLELISM'] = 'false'
import torch, numpy as np
from ner_study.corpora import CorpusSpec, load_corpus
from ner_study.bert import BertTagger, BertConfig
from ner_study.encoding import length_grouped_batches
from ner_study.learner import LazyAdamW, clip_gradients, seed_everything
N = int(sys.argv[1]) if len(sys.argv) > 1 else 480
corpus_path = sys.argv[2] if len(sys.argv) > 2 else str(__import__('pathlib').Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'wikiann-en')
wiki = load_corpus(CorpusSpec(corpus_path))
train = wiki.train[:N]
seed_everything(42)
tagger = BertTagger.from_sentences(train, wiki.labels, BertConfig(sparse_embeddings=not os.environ.get('DENSE')))
tagger.train()
if os.environ.get('COMPILE'): tagger.encoder = torch.compile(tagger.encoder, dynamic=True)
if os.environ.get('FREEZE_WE'): tagger.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
params = [p for p in tagger.parameters() if p.requires_grad]
opt = LazyAdamW(params, lr=1e-4, fused=True)
T = {k: 0.0 for k in ('batches', 'collate', 'forward', 'backward', 'clip', 'step', 'zero')}
def tick(k, t0):
    t = time.perf_counter(); T[k] += t - t0; return t
pieces = 0; padded = 0; steps = []
def run(batches):
    global pieces, padded
    for idx in batches:
        t = time.perf_counter(); t_step, faults = t, resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        b = tagger.collate([train[i].tokens for i in idx], [train[i].tags for i in idx]); t = tick('collate', t)
        pieces += int(b['attention_mask'].sum()); padded += b['attention_mask'].numel()
        loss = tagger.loss(b); t = tick('forward', t)
        opt.zero_grad(set_to_none=True); t = tick('zero', t)
        loss.backward(); t = tick('backward', t)
        clip_gradients(params, 1.0); t = tick('clip', t)
        opt.step(); t = tick('step', t)
        steps.append((t - t_step, tuple(b['input_ids'].shape), int(b['attention_mask'].sum()),
                      resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults))
MODE = os.environ.get('MODE', 'pieces')
t = time.perf_counter()
if MODE == 'words': bs = length_grouped_batches([len(s.tokens) for s in train], 16, seed=1)
else:
    encs = tagger.tokenizer([s.tokens for s in train], is_split_into_words=True, add_special_tokens=False)
    plen = [len(e.ids) for e in encs.encodings]
    bs = length_grouped_batches(plen, 16, seed=1, chunk=int(os.environ.get('CHUNK', '50')))
tick('batches', t)
run(bs if os.environ.get('WARM_ALL') else bs[:4]); T = {k: 0.0 for k in T}; pieces = padded = 0; steps.clear()
if os.environ.get('PROFILE'):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter(); run(bs); wall = time.perf_counter() - t0
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=int(os.environ.get("ROWS", "14"))))
else:
    t0 = time.perf_counter(); run(bs); wall = time.perf_counter() - t0
print(f'ours freeze={bool(os.environ.get("FREEZE_WE"))} {MODE} chunk {os.environ.get("CHUNK", 50)}: {N} sentences {wall:.2f}s {N / wall:.1f} sent/s; pieces {pieces} padded {padded} ({pieces / padded:.0%} real)')
print('  ' + '  '.join(f'{k} {v:.2f}s' for k, v in T.items()))
for secs, shape, real, faults in sorted(steps, reverse=True)[:int(os.environ.get('SLOWEST', '0'))]:
    print(f'  step {secs:.2f}s  batch {shape[0]}x{shape[1]}  {real} real pieces  {faults} page faults')

if os.environ.get('NOHF'): sys.exit()
# ---- the HF recipe's model and collator in the same loop
from transformers import AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification
from transformers.trainer_pt_utils import LengthGroupedSampler
from ner_study.bert import resolve_encoder
path = resolve_encoder('minilm')[0]
tok = AutoTokenizer.from_pretrained(path)
labels = list(wiki.labels); l2i = {l: i for i, l in enumerate(labels)}
enc = tok([s.tokens for s in train], is_split_into_words=True, truncation=True, max_length=256)
feats = []
for i, s in enumerate(train):
    prev, row = None, []
    for w in enc.word_ids(i):
        row.append(-100 if w is None or w == prev else l2i[s.tags[w]]); prev = w
    feats.append({'input_ids': enc['input_ids'][i], 'attention_mask': enc['attention_mask'][i], 'labels': row})
torch.manual_seed(42)
model = AutoModelForTokenClassification.from_pretrained(path, num_labels=len(labels))
model.train()
hp = [p for p in model.parameters() if p.requires_grad]
hopt = torch.optim.AdamW(hp, lr=1e-4, fused=True)
coll = DataCollatorForTokenClassification(tok)
g = torch.Generator(); g.manual_seed(1)
order = list(LengthGroupedSampler(16, lengths=[len(f['input_ids']) for f in feats], generator=g))
hb = [order[i:i + 16] for i in range(0, len(order), 16)]
T = {k: 0.0 for k in T}
def hrun(batches):
    global pieces, padded
    for idx in batches:
        t = time.perf_counter()
        b = coll([feats[i] for i in idx]); t = tick('collate', t)
        pieces += int(b['attention_mask'].sum()); padded += b['attention_mask'].numel()
        loss = model(**b).loss; t = tick('forward', t)
        hopt.zero_grad(set_to_none=True); t = tick('zero', t)
        loss.backward(); t = tick('backward', t)
        torch.nn.utils.clip_grad_norm_(hp, 1.0); t = tick('clip', t)
        hopt.step(); t = tick('step', t)
hrun(hb[:4]); T = {k: 0.0 for k in T}; pieces = padded = 0
t0 = time.perf_counter(); hrun(hb); wall = time.perf_counter() - t0
print(f'hf loop: {N} sentences {wall:.2f}s {N / wall:.1f} sent/s; pieces {pieces} padded {padded} ({pieces / padded:.0%} real)')
print('  ' + '  '.join(f'{k} {v:.2f}s' for k, v in T.items()))
print('attn impl', model.config._attn_implementation, tagger.encoder.config._attn_implementation)
