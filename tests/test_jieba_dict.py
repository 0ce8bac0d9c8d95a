"""The sharded jieba dictionary (articleqa/jieba_dict.py): the same words as jieba's whole dictionary, loaded by
first character; a damaged or foreign file is rebuilt."""
from __future__ import annotations

import json
import threading

import jieba

from articleqa.jieba_dict import MAGIC, ShardedFreq, read_shards, sharded_tokenizer
from articleqa.tokens import _get_jieba, tokenize
from tests.datapaths import SEED_PAGE, dataset_file


def _texts() -> list[str]:
    texts = [SEED_PAGE.read_text(encoding="utf-8")]
    for name in ("drcd", "cmrc2018"):
        lines = dataset_file(name).read_text(encoding="utf-8").splitlines()[:12]
        texts += [json.loads(line)["text"] for line in lines]
    return texts


def test_same_words_as_the_whole_dictionary(tmp_path):
    path = tmp_path / "shards"
    built = sharded_tokenizer(path)  # builds the file
    assert path.read_bytes().startswith(MAGIC)
    tk = sharded_tokenizer(path)  # reads it
    assert isinstance(tk.FREQ, ShardedFreq) and isinstance(built.FREQ, ShardedFreq)
    assert len(tk.FREQ) == 0, "nothing is unmarshalled before the first word"
    whole = jieba.Tokenizer()
    whole.initialize()
    assert tk.total == whole.total
    texts = _texts()
    assert sum(len(t) for t in texts) > 20_000
    for text in texts:
        assert tk.lcut(text, HMM=True) == whole.lcut(text, HMM=True)
        assert tk.lcut(text, HMM=False) == whole.lcut(text, HMM=False)
    assert 0 < len(tk.FREQ) < len(whole.FREQ), "only the shards of the characters seen are loaded"
    for word in ("京东", "金融", "盈利", "不存在的词语啊"):
        assert tk.FREQ.get(word) == whole.FREQ.get(word) and (word in tk.FREQ) == (word in whole.FREQ)


def test_threads_see_whole_shards(tmp_path):
    path = tmp_path / "shards"
    sharded_tokenizer(path)
    tk = sharded_tokenizer(path)
    whole = jieba.Tokenizer()
    whole.initialize()
    text = _texts()[0]
    want = whole.lcut(text)
    got: list[list[str]] = []
    threads = [threading.Thread(target=lambda: got.append(tk.lcut(text))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 4


def test_damaged_file_is_rebuilt(tmp_path):
    path = tmp_path / "shards"
    sharded_tokenizer(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    assert read_shards(path) is None
    path.write_bytes(b"not a shard file")
    assert read_shards(path) is None
    tk = sharded_tokenizer(path)
    assert read_shards(path) is not None
    assert tk.lcut("京东金融在哪一年实现单季盈利") == jieba.Tokenizer().lcut("京东金融在哪一年实现单季盈利")


def test_keyword_tokens_use_it():
    tk = _get_jieba()
    assert isinstance(tk.FREQ, ShardedFreq)
    whole = jieba.Tokenizer()
    assert tokenize("京東金融在哪一年實現單季盈利?") == whole.lcut("京东金融在哪一年实现单季盈利")
