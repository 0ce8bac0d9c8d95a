"""``python -m interfaces.api.llama_server --model FILE.gguf --port P ...``: llama-cpp-python's OpenAI-compatible
server (``python -m llama_cpp.server``, the same arguments), loading the model the way articleqa does.

A llama.cpp built for a CPU that advertises AMX puts Q4_K weights in AMX buffers and crashes at the first matmul
where the hypervisor does not enable AMX tiles (articleqa.models.generator explains); llama_cpp.server has no
setting for extra buffer types, so this turns them off around it, as `load_chat_model` does for the local model.
"""
from __future__ import annotations


def main() -> None:
    from llama_cpp.server.__main__ import main as server_main

    from articleqa.models.generator import _llama_build_has_amx, _without_extra_buffers

    with _without_extra_buffers(_llama_build_has_amx()):
        server_main()


if __name__ == "__main__":
    main()
