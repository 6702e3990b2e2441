"""Templates: autoescaped, overridable from a user directory, packaged ones reachable as `default:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.report import render_catalogue_report, render_plan_report, template_environment
from costplan.report.environment import PACKAGE_TEMPLATES
from tests.report import samples
from tests.report.htmlcheck import Page

REPO = Path(__file__).resolve().parents[2]


def render(templates: Path | str | None) -> str:
    return render_plan_report(samples.plan(), source="sandbox", templates=templates, generated_at=samples.GENERATED_AT)


def test_a_user_partial_replaces_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "_footer.html").write_text("<footer id='mine'>ACME cost review {{ page.currency }}</footer>")
    page = Page(render(tmp_path))
    assert page.text_of("mine") == "ACME cost review EUR"
    assert "self-contained" not in page.text
    assert "203.99" in page.text_of("headline")  # the rest is still the packaged report


def test_an_override_can_extend_the_default_page(tmp_path: Path) -> None:
    (tmp_path / "plan.html").write_text(
        '{% extends "default:plan.html" %}'
        '{% block facts %}<p id="custom">Reviewed by {{ plan.pools[1].instance_type }}</p>{% endblock %}'
    )
    html = render(tmp_path)
    page = Page(html)
    assert page.text_of("custom") == f"Reviewed by {samples.HOSTILE_TYPE}"
    assert samples.HOSTILE_TYPE not in html  # user templates are autoescaped too
    assert "203.99" in page.text_of("headline")
    assert "At peak" not in page.text  # the replaced block is gone


def test_the_packaged_templates_are_used_without_a_user_dir() -> None:
    assert "self-contained" in Page(render(None)).text


def test_a_missing_template_dir_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        render(tmp_path / "nope")


def test_a_broken_user_template_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "_footer.html").write_text("<footer>\n{% if %}\n</footer>")
    with pytest.raises(InputError, match=r"_footer\.html, line 2"):
        render(tmp_path)


def test_an_undefined_name_in_a_user_template_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "_footer.html").write_text("<footer>{{ no_such_thing.x }}</footer>")
    with pytest.raises(InputError, match="no_such_thing"):
        render(tmp_path)


def test_environment_is_autoescaped_and_has_the_default_prefix(tmp_path: Path) -> None:
    env = template_environment(tmp_path)
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert env.get_template("default:base.html").filename.startswith(str(PACKAGE_TEMPLATES))


def test_several_user_dirs_are_searched_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (first / "_footer.html").write_text("<footer>first</footer>")
    (second / "_footer.html").write_text("<footer>second</footer>")
    html = render_catalogue_report(samples.catalogue_frame(), templates=[first, second])
    assert "first" in html and "second" not in html


def test_repo_root_templates_is_a_link_to_the_packaged_ones() -> None:
    """DESIGN.md names `reports/templates/`; one copy lives in the package so the wheel ships it."""
    link = REPO / "reports" / "templates"
    assert link.is_symlink()
    assert not Path(link.readlink()).is_absolute()
    assert link.resolve() == PACKAGE_TEMPLATES


def test_every_partial_is_underscored_and_every_page_extends_base() -> None:
    for path in PACKAGE_TEMPLATES.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name in ("catalogue.html", "plan.html", "status.html"):
            assert text.startswith('{% extends "base.html" %}'), path.name
        else:
            assert path.name.startswith("_") or path.name == "base.html", path.name
