"""Time-aware answering: a question's time expressions resolved against the day it is asked at (``as_of``),
publication-date filters and recency in retrieval, comparisons and yes/no questions answered from the dates of the
cited passages, and dates on sources. The chain calls four hooks: :func:`resolve_time` (before retrieval),
:func:`retrieve_in_time` (retrieval), :func:`beyond_period_state` (a refusal within a relative period, asked again
beyond it) and :func:`finish_time` (on the final answer); ``time.enabled = false``
turns them all off (the time-blind pipeline).
"""
from qa.time.answer import finish_time
from qa.time.compare import compare_answer
from qa.time.resolve import gate_question, reading_question, resolve_time
from qa.time.retrieve import beyond_period_state, retrieve_in_time

__all__ = ["beyond_period_state", "compare_answer", "finish_time", "gate_question", "reading_question",
           "resolve_time", "retrieve_in_time"]
