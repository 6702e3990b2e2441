"""Reading rendered reports back: visible text, a section's text, and every URL the page could load."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Attributes through which a page fetches something (or navigates on its own).
LOADING_ATTRIBUTES = {"src", "srcset", "href", "xlink:href", "poster", "data", "action", "formaction", "background"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
_NUMBER = re.compile(r"[\u2212+-]?\d[\d,]*(?:\.\d+)?")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Parses a whole document once: tags seen, text per element id, and referenced URLs."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.text_parts: list[str] = []
        self._stack: list[tuple[str, str | None]] = []
        self._by_id: dict[str, list[str]] = {}
        self._open_ids: list[str] = []
        self._style = False
        self.styles: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name, value in attrs:
            if name in LOADING_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
        if tag in VOID:
            return
        element_id = attributes.get("id")
        self._stack.append((tag, element_id))
        if element_id:
            self._by_id.setdefault(element_id, [])
            self._open_ids.append(element_id)
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, element_id = self._stack.pop()
            if element_id:
                self._open_ids.remove(element_id)
            if open_tag == tag:
                break
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.styles.append(data)
            return
        self.text_parts.append(data)
        for element_id in self._open_ids:
            self._by_id[element_id].append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def text_of(self, element_id: str) -> str:
        assert element_id in self._by_id, f"no element with id={element_id!r}"
        return " ".join(" ".join(self._by_id[element_id]).split())

    def css_urls(self) -> list[str]:
        return [m.group(1) for style in self.styles for m in _CSS_URL.finditer(style)]

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def with_attribute(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(tag, attrs) for tag, attrs in self.tags if name in attrs]


def numbers_in(text: str) -> list[float]:
    """Every number a reader sees in `text` ("1,234.56" -> 1234.56; a minus sign counts)."""
    found = []
    for match in _NUMBER.findall(text):
        found.append(float(match.replace(",", "").replace("\u2212", "-")))
    return found


def external_references(html: str) -> list[str]:
    """Every URL the document could fetch or navigate to that is not a same-document fragment."""
    page = Page(html)
    found = [f"<{tag} {name}={value!r}>" for tag, name, value in page.urls if not value.startswith("#")]
    found += [f"url({value})" for value in page.css_urls() if not value.startswith("#")]
    found += [f"@import in a style: {s[:60]!r}" for s in page.styles if "@import" in s]
    found += [f"<{tag}>" for tag, _ in page.tags if tag in ("script", "link", "iframe", "object", "embed", "base")]
    # Anything else that names a remote location, except the SVG namespace (an identifier, never fetched).
    remote = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'<>]*", html.replace(SVG_NAMESPACE, ""))
    found += [f"remote URL in text: {url}" for url in remote]
    return found
