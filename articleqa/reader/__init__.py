"""The span reader: multilingual-e5-small fine-tuned to extract an answer span or say "no answer".

- ``data``: training examples from SQuAD-format files, with the Chinese unanswerables the sources lack.
- ``train``: the one training command (``python -m articleqa.reader.train``), seeded and resumable.
- ``artifact``: the shipped weights, int8 deltas over the bundled e5 base (``articleqa/reader/weights``).
- ``model``: the inference graph (ONNX Runtime) and span decoding.
"""
