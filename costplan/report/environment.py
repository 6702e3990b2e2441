"""The Jinja environment: autoescaped, user templates first, the packaged ones reachable as `default:`.

Modelled on datasette's: a `--templates DIR` can replace any page or partial by file name,
and an override can `{% extends "default:plan.html" %}` to change one block and keep the rest.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from costplan.errors import InputError
from costplan.report import formatting

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"

TemplateDirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def _user_dirs(user_dir: TemplateDirs) -> tuple[str, ...]:
    if user_dir is None:
        return ()
    items = [user_dir] if isinstance(user_dir, (str, os.PathLike)) else list(user_dir)
    dirs = []
    for item in items:
        path = Path(item).expanduser()
        if not path.is_dir():
            raise InputError(f"template directory {str(path)!r} does not exist or is not a directory")
        dirs.append(str(path.resolve()))
    return tuple(dirs)


def template_environment(user_dir: TemplateDirs = None) -> jinja2.Environment:
    """The environment reports render with; `user_dir` (one or several) is searched first.

    ```
    env = template_environment("my-templates")   # my-templates/_header.html replaces ours
    env.get_template("default:plan.html")         # always the packaged page
    ```
    """
    return _environment(_user_dirs(user_dir))


@functools.lru_cache(maxsize=8)
def _environment(user_dirs: tuple[str, ...]) -> jinja2.Environment:
    # Cached: building the environment and compiling templates costs more than a small render.
    packaged = jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if user_dirs:
        loaders.append(jinja2.FileSystemLoader(list(user_dirs)))
    loaders += [packaged, jinja2.PrefixLoader({"default": packaged}, delimiter=":")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not as a blank cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=formatting.money,
        signed_money=formatting.signed_money,
        number=formatting.number,
        percent=formatting.percent,
        signed_percent=formatting.signed_percent,
        timestamp=formatting.timestamp,
        fmt=formatting.fmt,
    )
    env.globals.update(fmt=formatting.fmt, age=formatting.age, MISSING=formatting.MISSING)
    return env


def render(template: str, context: dict[str, Any], user_dir: TemplateDirs = None) -> str:
    """Render one page; errors in a user's templates become `InputError` naming the file and line."""
    dirs = _user_dirs(user_dir)
    env = _environment(dirs)
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateSyntaxError as error:
        if not dirs:
            raise
        raise InputError(f"template {error.filename or error.name}, line {error.lineno}: {error.message}") from None
    except jinja2.TemplateError as error:
        if not dirs:
            raise
        raise InputError(f"cannot render {template!r} with templates from {', '.join(dirs)}: {error}") from None
