"""Request bodies (validated by FastAPI; shown in the OpenAPI docs at /docs)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["llm", "extractive"]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat completion request. Sampling fields (temperature, max_tokens...) are accepted and ignored:
    the settings decide them. Three extra fields: ``mode``, ``top_k`` and ``as_of`` (with the openai package:
    ``extra_body``)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("articleqa", description="a collection, optionally ':llm' or ':extractive' (GET /v1/models)")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    mode: Mode | None = Field(None, description="llm | extractive; default: the model suffix, then settings")
    top_k: int | None = Field(None, ge=1, le=50, description="passages to retrieve")
    as_of: str | None = Field(None, description="the day the question is asked at (YYYY-MM-DD): 去年, last month... "
                              "are read against it; default today (said in the answer's notes)")


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    history: list[tuple[str, str]] = Field(default_factory=list, description="earlier [question, answer] pairs")
    collection: str | None = None
    mode: Mode | None = None
    top_k: int | None = Field(None, ge=1, le=50)
    as_of: str | None = Field(None, description="the day the question is asked at (YYYY-MM-DD); default today")


class SearchFilters(BaseModel):
    """Which articles a search may return (`articleqa.store.SearchFilter`); empty fields do not restrict."""

    model_config = ConfigDict(extra="forbid")

    collections: list[str] = Field(default_factory=list, description="store collections (any of them)")
    sources: list[str] = Field(default_factory=list, description="the article's source (any of them)")
    date_from: str | None = Field(None, description="YYYY-MM-DD, inclusive; undated articles never match")
    date_to: str | None = Field(None, description="YYYY-MM-DD, inclusive")
    article_ids: list[str] = Field(default_factory=list, description="only these articles")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    k: int | None = Field(None, ge=1, le=100)
    collection: str | None = None
    filters: SearchFilters | None = Field(None, description="applied inside the search; replaces the default "
                                                            "collections (store.search_collections)")


class ArticleIn(BaseModel):
    """One article posted as JSON (the fields of an articleqa/samples/articles.jsonl line)."""

    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    id: str | None = None
    source: str = ""
    url: str = ""
    date: str = ""
    author: str = ""


class ArticlesIn(BaseModel):
    articles: list[ArticleIn] = Field(min_length=1)
    collection: str | None = None
