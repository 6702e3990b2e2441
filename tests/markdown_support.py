"""Markdown output as GitHub shows it: rendered to HTML (markdown-it-py, GFM tables) and parsed back."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    """Every <table> as a list of rows (header row first), each a list of cell texts; and the paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.paragraphs: list[str] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p":
            self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "p" and self._paragraph is not None:
            self.paragraphs.append("".join(self._paragraph).strip())
            self._paragraph = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._paragraph):
            if part is not None:
                part.append(data)


def render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def parse(markdown: str) -> _Tables:
    """The rendered document's tables and paragraphs."""
    parser = _Tables()
    parser.feed(render(markdown))
    return parser


def records(table: list[list[str]]) -> list[dict[str, str]]:
    """A parsed table as one dict per body row, keyed by the header cells."""
    header, *rows = table
    assert all(len(row) == len(header) for row in rows), table
    return [dict(zip(header, row, strict=True)) for row in rows]
