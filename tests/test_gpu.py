"""The CUDA path in one command (`make test-gpu`, a few minutes on one GPU): both families train and predict on the GPU
in float32 and bfloat16, two workers share one GPU or take one each, and a checkpoint trained on the GPU predicts on the
CPU with the GPU's tags. Without CUDA every test here skips, saying why."""
import pytest
import torch

from ner_study.experiment import experiment_from_params, load_tagger, run_experiment
from ner_study.evaluation import predict_tags
from ner_study.metrics import RunMetrics
from ner_study.study import StudyConfig, run_study
from ner_study.workers import _gpu_env

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='no CUDA device here (torch.cuda.is_available() is False): '
                                'run `make test-gpu` on a machine with a GPU and a CUDA build of torch (make install '
                                'TORCH=...)')
QUIET = dict(progress=False, log=lambda *_: None)


@pytest.mark.parametrize('bf16', [False, True], ids=['float32', 'bf16'])
@pytest.mark.parametrize('model', ['lstm', 'bert'])
def test_both_families_train_and_predict_on_cuda(model, bf16, wnut_slice, tmp_path):
    if bf16 and not torch.cuda.is_bf16_supported(): pytest.skip('this GPU has no native bfloat16')
    res = run_experiment(experiment_from_params(model, corpus=wnut_slice, epochs=2, bf16=bf16,
                                                output_dir=str(tmp_path)), **QUIET)
    metrics = RunMetrics.read(res.run_dir)
    assert metrics.device == 'cuda' and metrics.peak_cuda_mb > 0, (metrics.device, metrics.peak_cuda_mb)
    assert next(res.tagger.parameters()).device.type == 'cuda'
    assert metrics.numerics['bf16'] == bf16 and metrics.test.n_gold_entities > 0


def test_a_gpu_checkpoint_predicts_on_the_cpu_with_the_gpus_tags(wnut_slice, tmp_path):
    res = run_experiment(experiment_from_params('bert', corpus=wnut_slice, epochs=2, output_dir=str(tmp_path)), **QUIET)
    sentences = [s.tokens for s in res.corpus.test]
    on_gpu = predict_tags(load_tagger(res.run_dir / 'best', map_location='cuda'), sentences)
    on_cpu = predict_tags(load_tagger(res.run_dir / 'best', map_location='cpu'), sentences)
    same = sum(a == b for x, y in zip(on_gpu, on_cpu) for a, b in zip(x, y)) / sum(map(len, sentences))
    # float32 on both: other kernels, the same arg-max but for near-ties
    assert same >= 0.999, f'{same:.4%} of the tags agree'


def test_two_workers_share_one_gpu_or_take_one_each(wnut_slice, tmp_path):
    cfg = StudyConfig(corpus=wnut_slice, models='lstm-word,bert-frozen', folds=1, top_seeds=1, fractions='1', epochs=1,
                      workers=2, output_dir=str(tmp_path), tables_dir=str(tmp_path / 'tables'))
    runs = run_study(cfg, progress=False)
    assert len(runs) == 2 and all(r.metrics.device == 'cuda' for r in runs)
    n = torch.cuda.device_count()  # with several GPUs each worker's runs see one of them, worker k the k-th
    assert [_gpu_env(k) for k in range(2)] == ([{'CUDA_VISIBLE_DEVICES': '0'}, {'CUDA_VISIBLE_DEVICES': '1'}] if n > 1
                                               else [{}, {}])
