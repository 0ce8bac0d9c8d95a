"""Publication dates at ingest, on the 26 real pages of ``cleaning-real`` and the seed article.

    .venv/bin/python -m bench.pub_dates

Each page goes through ``ingest.loaders.load_path`` (the same code as ``articleqa ingest``); its ``Article.date``
is compared with the date the page itself shows for the article (read by hand from its byline or date line, and
the same as its publication meta tag where it has one). The seed is an issue of a weekly ("2018年第5期"): its
right date is the year, ``2018``. The rules were developed on these same pages (there is no second split of real
pages here); a private set of other sites is measured by the maintainers.
"""
from __future__ import annotations

import json
import sys
import time

from bench.common import EVAL, SEED_ARTICLE, machine

# the date each page shows for its article (its byline / date line), checked by hand
GOLD = {
    "zht-appledaily-01": "2013-06-29", "zht-appledaily-02": "2005-08-11", "zht-appledaily-03": "2014-01-15",
    "zht-appledaily-04": "2016-05-21", "zht-cna-01": "2013-06-29", "zht-cna-02": "2014-04-04",
    "zht-cna-03": "2016-03-19", "zht-nownews-01": "2014-03-21", "zht-nownews-02": "2014-03-20",
    "zht-setn-01": "2018-02-21", "zhs-rfi-01": "2022-02-06", "zhs-dahe-01": "2022-02-12",
    "zhs-yahoo-02": "2005-04-28", "zhs-sohu-02": "2005-05-13", "zhs-163-01": "2004-12-10",
    "zhs-163-02": "2005-01-14", "zhs-people-01": "2022-02-13", "zhs-qianlong-01": "2005-07-18",
    "zhs-chinadaily-01": "2023-11-17", "zhs-xinhua-01": "2023-11-17", "en-bbc-01": "2019-11-19",
    "en-guardian-01": "2019-11-18", "en-reuters-01": "2019-11-19", "en-foxnews-01": "2019-11-19",
    "en-thehill-01": "2019-11-19", "en-physorg-01": "2019-11-18",
}
SEED_GOLD = "2018"


def main() -> int:
    from articleqa.settings import Settings
    from ingest.loaders import load_path

    settings = Settings()
    pages = EVAL / "cleaning-real" / "pages"
    rows = [(pid, pages / f"{pid}.html", gold) for pid, gold in GOLD.items()] + [("seed", SEED_ARTICLE, SEED_GOLD)]
    right = 0
    t = time.perf_counter()
    for pid, path, gold in rows:
        try:
            [art] = load_path(path, settings)
            got = art.date
        except Exception as e:  # noqa: BLE001 - a failed page is a miss
            got = f"error: {e}"
        ok = got == gold
        right += ok
        print(f"{'ok ' if ok else 'BAD'} {pid:20s} gold {gold or '(none)':10s} got {got or '(none)'}")
    secs = time.perf_counter() - t
    print(f"\nright publication date: {right}/{len(rows)} = {right / len(rows):.3f} "
          f"({len(GOLD)} cleaning-real pages + the seed; {secs:.1f} s)")
    print(json.dumps({"right": right, "n": len(rows), "machine": machine()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
