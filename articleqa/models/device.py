"""Where and how the embedder runs: ``models.device`` = "auto" | "cpu" | "cuda".

"auto" picks CUDA when torch sees a GPU, and then always the torch backend in float16 with large batches
(``models.gpu_batch_size``): ONNX Runtime's CUDA provider is not installed, and e5-small in fp16 on a GPU is
bandwidth-bound, not compute-bound. Otherwise the CPU with ``models.embed_backend``.

Asking torch costs a 3-4 s import, which the CPU path must not pay (the ONNX backends never import torch), so
"auto" first looks for an NVIDIA device node or driver entry and only then asks torch.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import Callable, Optional

from articleqa.models.files import ModelError
from articleqa.settings import Settings


@dataclass(frozen=True)
class DevicePlan:
    device: str  # "cpu" | "cuda"
    backend: str  # "torch" | "onnx-int8" | "onnx-fp32"
    fp16: bool
    batch_size: int  # passages per batch (CPU batches are also capped by models.embed_batch_tokens)
    reason: str


def nvidia_present() -> bool:
    """An NVIDIA driver is loaded (cheap: no torch import)."""
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.isdir("/proc/driver/nvidia/gpus")


def torch_sees_cuda() -> bool:
    """torch reports a usable CUDA device; False without an NVIDIA driver (then torch is not imported at all)."""
    if not nvidia_present():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def plan_device(settings: Settings, cuda_available: Optional[Callable[[], bool]] = None) -> DevicePlan:
    """The device, backend, precision and batch size the embedder will use (``cuda_available`` is the probe;
    default `torch_sees_cuda`)."""
    m = settings.models
    probe = cuda_available or torch_sees_cuda
    if m.device == "cpu":
        return DevicePlan("cpu", m.embed_backend, False, m.embed_batch_size, "models.device = cpu")
    has_cuda = probe()
    if m.device == "cuda" and not has_cuda:
        raise ModelError("models.device = \"cuda\" but torch sees no CUDA GPU (set models.device = \"auto\" or "
                         "\"cpu\")")
    if has_cuda:
        return DevicePlan("cuda", "torch", True, m.gpu_batch_size, f"models.device = {m.device}: torch sees a GPU")
    return DevicePlan("cpu", m.embed_backend, False, m.embed_batch_size, "models.device = auto: no GPU")


__all__ = ["DevicePlan", "plan_device", "nvidia_present", "torch_sees_cuda"]
