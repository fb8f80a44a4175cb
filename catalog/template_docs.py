"""Templates for people: the lists `emm1 templates` prints and the README's template section."""

from __future__ import annotations

import shlex
from pathlib import Path

from catalog.templates import get_template, templates


def describe_all() -> str:
    """The list `emm1 templates` prints: names, titles, parameters."""
    lines = []
    for t in templates().values():
        lines.append(f"{t.name}: {t.title}")
        lines += [f"    {p.describe()}" for p in t.params] or ["    (no parameters)"]
    return "\n".join(lines)


def describe_one(name: str) -> str:
    """`emm1 templates show NAME`: the description, parameters, an example and the SQL."""
    t = get_template(name)
    values = t.values(t.example)
    example_args = " ".join(f"-p {k} {shlex.quote(v)}" for k, v in t.example.items())
    sql, _ = t.render(values, "bind")
    lines = [f"{t.name}: {t.title}", "", t.description, t.order_text(), "", "parameters:"]
    lines += [f"  {p.describe()}" for p in t.params] or ["  (none)"]
    lines += [
        "",
        f"example:     emm1 query {t.name}{' ' + example_args if example_args else ''}",
        f"as a macro:  {t.macro_call(values)}",
        "",
        sql,
    ]
    return "\n".join(lines)


README_BEGIN = "<!-- templates: generated from sql/*.sql.j2 by `make readme` -->"
README_END = "<!-- end of templates -->"


def readme_section() -> str:
    """The README's list of templates: each with its parameters and one example, run from the
    command line and as a table macro. A test keeps README.md equal to this."""
    out = [README_BEGIN, ""]
    for t in templates().values():
        values = t.values(t.example)
        args = "".join(f" -p {k} {shlex.quote(v)}" for k, v in t.example.items())
        out += [f"#### {t.name}: {t.title}", "", t.description, "", t.order_text(), ""]
        if t.params:
            out += ["| parameter | type | allowed | default | meaning |", "|---|---|---|---|---|"]
            for p in t.params:
                if p.required:
                    default = "required"
                elif p.type == "flag":
                    default = "no"
                else:
                    default = "(none)" if p.default is None else p.default
                out.append(f"| `{p.name}` | {p.type} | {p.allowed_text()} | {default} | {p.help} |")
            out.append("")
        out += [
            "```sh",
            f"emm1 query {t.name}{args}",
            "```",
            "",
            "```sql",
            t.macro_call(values) + ";",
            "```",
            "",
        ]
    out.append(README_END)
    return "\n".join(out)


def update_readme(path) -> None:
    """Rewrite the generated template list inside README.md at `path`."""
    text = Path(path).read_text(encoding="utf-8")
    head, _, rest = text.partition(README_BEGIN)
    _, _, tail = rest.partition(README_END)
    Path(path).write_text(head + readme_section() + tail, encoding="utf-8")
