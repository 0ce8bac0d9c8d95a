"""The keyword side of the PostgreSQL store: BM25 over pre-tokenized ``tsvector`` columns.

Tokens come from `articleqa.tokens.tokenize`, the same function the in-process BM25 uses (jieba over Simplified
text, stemmed English), and are stored as a ``tsvector`` literal (lexeme -> positions, as the ``simple``
configuration would keep them), so PostgreSQL never re-parses the text. The GIN index finds the chunks sharing a
token with the question; the score is BM25 as ``bm25s`` computes it (Lucene variant, k1 = 1.5, b = 0.75) from
document frequencies kept in ``aq_terms`` and lengths in ``aq_kw_stats``, per field: chunk heading + text ('b')
and article title ('t', added with weight 1), like `qa.retrieval.keyword.BM25Corpus`. Statistics are global
(all collections); filters restrict which chunks are scored.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from articleqa.store.filters import SearchFilter

K1, B, TITLE_WEIGHT = 1.5, 0.75, 1.0
MAX_POSITION = 16383  # tsvector positions are capped here
MAX_POSITIONS_PER_LEXEME = 256


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(tokens: list[str]) -> str:
    """A tsvector holding exactly ``tokens`` with their positions (1-based), e.g. ``'a':1,3 'b':2``."""
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(tokens, start=1):
        if t:
            positions.setdefault(t, []).append(min(i, MAX_POSITION))
    return " ".join(f"{_quote(t)}:{','.join(map(str, p[:MAX_POSITIONS_PER_LEXEME]))}" for t, p in positions.items())


def tsquery_literal(tokens: Iterable[str]) -> str:
    return " | ".join(_quote(t) for t in dict.fromkeys(tokens) if t)


ADD_TERMS = {
    "b": """INSERT INTO aq_terms (field, term, df)
            SELECT 'b', u.lexeme, count(*) FROM aq_chunks c, unnest(c.tokens) u WHERE c.article_id = %s
            GROUP BY u.lexeme
            ON CONFLICT (field, term) DO UPDATE SET df = aq_terms.df + EXCLUDED.df""",
    "t": """INSERT INTO aq_terms (field, term, df)
            SELECT 't', u.lexeme, 1 FROM aq_articles a, unnest(a.title_tokens) u WHERE a.id = %s
            ON CONFLICT (field, term) DO UPDATE SET df = aq_terms.df + EXCLUDED.df""",
}
DROP_TERMS = {
    "b": """UPDATE aq_terms t SET df = t.df - d.n FROM (
                SELECT u.lexeme, count(*) AS n FROM aq_chunks c, unnest(c.tokens) u WHERE c.article_id = %s
                GROUP BY u.lexeme) d
            WHERE t.field = 'b' AND t.term = d.lexeme""",
    "t": """UPDATE aq_terms t SET df = t.df - 1 FROM aq_articles a, unnest(a.title_tokens) u
            WHERE a.id = %s AND t.field = 't' AND t.term = u.lexeme""",
}
STATS = {
    "b": "SELECT count(*), coalesce(sum(kw_len), 0) FROM aq_chunks WHERE article_id = %s",
    "t": "SELECT count(*), coalesce(sum(title_len), 0) FROM aq_articles WHERE id = %s",
}


def update_stats(conn, article_id: str, sign: int) -> None:
    """Add (sign 1, after inserting) or remove (sign -1, before deleting) an article's keyword statistics."""
    for field in ("b", "t"):
        n, total = conn.execute(STATS[field], (article_id,)).fetchone()
        if not n:
            continue
        conn.execute((ADD_TERMS if sign > 0 else DROP_TERMS)[field], (article_id,))
        conn.execute("UPDATE aq_kw_stats SET n_docs = n_docs + %s, total_len = total_len + %s WHERE field = %s",
                     (sign * n, sign * total, field))


_SEARCH = """
WITH q(term, qtf) AS (SELECT * FROM unnest(%(terms)s::text[], %(qtf)s::int[])),
st AS (SELECT field, n_docs, greatest(total_len::float8 / greatest(n_docs, 1), 1e-9) AS avgdl FROM aq_kw_stats),
qi AS (SELECT t.field, q.term, q.qtf, ln(1 + (st.n_docs - t.df + 0.5) / (t.df + 0.5)) AS idf, st.avgdl
       FROM q JOIN aq_terms t ON t.term = q.term AND t.df > 0 JOIN st ON st.field = t.field),
body AS (SELECT c.fid, sum(qi.qtf * qi.idf * cardinality(u.positions)
                           / (cardinality(u.positions) + %(k1)s * (1 - %(b)s + %(b)s * c.kw_len / qi.avgdl))) AS s
         FROM aq_chunks c CROSS JOIN LATERAL unnest(c.tokens) u JOIN qi ON qi.field = 'b' AND qi.term = u.lexeme
         WHERE c.tokens @@ %(tsq)s::tsquery AND {where} GROUP BY c.fid),
tit AS (SELECT a.id, sum(qi.qtf * qi.idf * cardinality(u.positions)
                         / (cardinality(u.positions) + %(k1)s * (1 - %(b)s + %(b)s * a.title_len / qi.avgdl))) AS s
        FROM aq_articles a CROSS JOIN LATERAL unnest(a.title_tokens) u JOIN qi ON qi.field = 't' AND qi.term = u.lexeme
        WHERE a.title_tokens @@ %(tsq)s::tsquery GROUP BY a.id),
cand AS (SELECT fid FROM body
         UNION SELECT c.fid FROM aq_chunks c JOIN tit ON tit.id = c.article_id WHERE {where}),
scored AS (SELECT c.id, coalesce(body.s, 0) + %(tw)s * coalesce(tit.s, 0) AS score
           FROM cand JOIN aq_chunks c ON c.fid = cand.fid LEFT JOIN body ON body.fid = cand.fid
           LEFT JOIN tit ON tit.id = c.article_id)
SELECT id, score FROM (SELECT id, score, row_number() OVER (ORDER BY score DESC, id) AS rn FROM scored) x
WHERE score > 0 AND (rn <= %(n)s OR id = ANY(%(also)s::text[]))
"""


def coverage(conn, tokens: list[str]) -> float:
    """Share of the query's tokens that occur anywhere in the index (either field)."""
    if not tokens:
        return 0.0
    row = conn.execute("SELECT count(*) FROM unnest(%s::text[]) q(term) WHERE EXISTS "
                       "(SELECT 1 FROM aq_terms t WHERE t.term = q.term AND t.df > 0)", (tokens,)).fetchone()
    return float(row[0]) / len(tokens)


def keyword_search(conn, tokens: list[str], n: int, filters: SearchFilter | None,
                   also: Iterable[str] = ()) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """(the n best (chunk_id, score), scores of those and of ``also``) for the query tokens."""
    if not tokens:
        return [], {}
    counts = Counter(tokens)
    f = filters or SearchFilter()
    where, wparams = f.where("%(w{})s", "c.")
    # Name the filter's parameters so that the condition can appear twice in the query.
    names = {f"w{i}": v for i, v in enumerate(wparams)}
    for i in range(len(wparams)):
        where = where.replace("%(w{})s", f"%(w{i})s", 1)
    params = {"terms": list(counts), "qtf": list(counts.values()), "tsq": tsquery_literal(counts), "k1": K1,
              "b": B, "tw": TITLE_WEIGHT, "n": int(n), "also": list(also), **names}
    rows = conn.execute(_SEARCH.format(where=where), params).fetchall()
    scores = {cid: float(s) for cid, s in rows}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: int(n)]
    return ranked, scores
