"""`models.device`: CUDA (torch, fp16, large batches) only when torch sees a GPU; the CPU path never imports torch."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from articleqa.models.device import nvidia_present, plan_device, torch_sees_cuda
from articleqa.models.files import ModelError
from articleqa.settings import load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _never_called() -> bool:
    raise AssertionError("the GPU probe must not run for models.device = cpu")


def test_cpu_is_cpu_without_probing():
    s = load_settings(**{"models.device": "cpu", "models.embed_backend": "onnx-int8"})
    plan = plan_device(s, cuda_available=_never_called)
    assert (plan.device, plan.backend, plan.fp16, plan.batch_size) == ("cpu", "onnx-int8", False,
                                                                       s.models.embed_batch_size)


def test_auto_without_a_gpu_keeps_the_cpu_backend():
    s = load_settings(**{"models.device": "auto", "models.embed_backend": "onnx-fp32"})
    plan = plan_device(s, cuda_available=lambda: False)
    assert (plan.device, plan.backend, plan.fp16) == ("cpu", "onnx-fp32", False)


def test_auto_with_a_gpu_is_torch_fp16_with_gpu_batches():
    s = load_settings(**{"models.device": "auto", "models.embed_backend": "onnx-int8", "models.gpu_batch_size": 512})
    plan = plan_device(s, cuda_available=lambda: True)
    assert (plan.device, plan.backend, plan.fp16, plan.batch_size) == ("cuda", "torch", True, 512)


def test_cuda_without_a_gpu_is_a_clear_error():
    s = load_settings(**{"models.device": "cuda"})
    with pytest.raises(ModelError, match="no CUDA GPU"):
        plan_device(s, cuda_available=lambda: False)


def test_this_machine_is_planned_from_its_real_hardware():
    plan = plan_device(load_settings(**{"models.device": "auto"}))
    assert plan.device == ("cuda" if torch_sees_cuda() else "cpu")


def test_auto_on_a_machine_without_nvidia_does_not_import_torch():
    code = ("import sys, json; from articleqa.models.device import plan_device; from articleqa.settings import "
            "load_settings; p = plan_device(load_settings()); print(json.dumps([p.device, 'torch' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=os.environ,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    device, imported = json.loads(out.stdout.strip().splitlines()[-1])
    if nvidia_present():
        assert imported  # a driver is there: torch is asked
    else:
        assert (device, imported) == ("cpu", False)


def test_setting_is_validated():
    with pytest.raises(Exception, match="device"):
        load_settings(**{"models.device": "tpu"})
