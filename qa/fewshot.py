"""Worked examples for the short-answer prompt, written by the team for this purpose (none comes from an eval set).

They sit in the fixed prompt prefix right after the system message, so llama.cpp evaluates them once (at load, see
`Assistant._warm_prompt_prefix`) and reuses them from its KV cache on every question.
"""
from __future__ import annotations

# (evidence as the model sees it, question, the reply)
EXAMPLES: list[tuple[str, str, str]] = [
    (
        "《台南老街的咖啡館》\n[1] 位於神農街的「午後書房」開業於2016年。\n[2] 店主林美華原本是一名小學老師。\n"
        "[3] 店內每週六舉辦一次讀書會。",
        "午後書房的店主是誰?",
        '{"answer": "林美華", "source": 2}',
    ),
    (
        # two sentences with a year: the one naming the asked actor answers (DRCD misses were mostly such distractors)
        "《淡水的古蹟》\n[1] 紅毛城最早由西班牙人於1628年興建。\n[2] 荷蘭人在1644年於原址重建了這座城堡。\n"
        "[3] 1867年起,英國政府將紅毛城租用為領事館。",
        "荷蘭人在哪一年重建紅毛城?",
        '{"answer": "1644年", "source": 2}',
    ),
    (
        "《昆明的新能源公交车》\n[1] 昆明公交集团今年新增了320辆纯电动公交车。\n[2] 这些车辆由本地企业生产,单次充电可行驶约250公里。",
        "昆明今年新增了多少辆纯电动公交车?",
        '{"answer": "320辆", "source": 1}',
    ),
    (
        "《The river port of Kesta》\n[1] The first bridge over the Kesta River was opened in 1891 by the city "
        "council.\n[2] A second, wider bridge was built in 1934 by the railway company.\n[3] The railway "
        "company also ran the port's grain elevator.",
        "Who built the second bridge?",
        '{"answer": "the railway company", "source": 2}',
    ),
    (
        "《The lighthouse at Cape Morrow》\n[1] The lighthouse was built in 1872 by the harbour authority.\n"
        "[2] Its lamp was converted to electricity in 1931, after a storm broke the old lens.",
        "When was the lamp converted to electricity?",
        '{"answer": "1931", "source": 2}',
    ),
    (
        "《高雄港的貨櫃碼頭》\n[1] 第七貨櫃中心預計於2025年全面啟用。\n[2] 新碼頭的水深為18公尺,可停靠大型貨櫃輪。",
        "第七貨櫃中心的建造費用是多少?",
        '{"answer": "", "source": 0}',
    ),
    (
        "《杭州龙井村的茶园》\n[1] 龙井村的茶农张建国种茶已有30年。\n[2] 他的茶园每年产茶约400公斤。",
        "How much tea does Zhang Jianguo's garden produce each year?",
        '{"answer": "about 400 kg", "source": 2}',
    ),
]
