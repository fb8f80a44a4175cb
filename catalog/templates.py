"""Query templates: one sql/<name>.sql.j2 per query, its title, description, row order and
parameters declared in a TOML header beside the SQL.

A template file starts with a jinja comment holding TOML, then the SQL:

    {#
    title = "..."
    description = "..."
    example = { k = "1..4" }
    order = ["encord_text_id", "nn_index"]
    [[params]]
    name = "k"  type = "range"  min = 1  max = 16  default = "1"  help = "..."
    #}
    SELECT ... WHERE g.nn_index BETWEEN {{ bind('k_min') }} AND {{ bind('k_max') }}
    {{ checks() }}
    {{ order_by() }}

Parameter types: `int` (min, max), `range` (a whole number or `lo..hi`; binds `<name>_min` and
`<name>_max`), `choice` (one of `allowed`), `choices` (a comma-separated subset of `allowed`),
`flag` (yes or no, also true or false, or a Python bool; no is the same as not given), `text`
(any string). A parameter has a `default`, or `optional = true` (default NULL; a flag always
is), or is required. `switch = true` marks a flag or choice that changes the query's shape (an
ORDER BY or none): a macro holds one body per value of it.

`order` names the output columns the rows are sorted by, which every template documents; `{p}`
in a name stands for the value of choice `p` (`{modality_1}_id`). A parameter named `order_by`
whose value is `none` turns the sorting off.

The SQL sees only helpers, never raw values, so the same text renders three ways: with bound
`$name` placeholders (`emm1 query`), with values inlined as quoted literals (`emm1 render`) and as
the body of a DuckDB table macro (the build), where values are the macro's parameters:

- `bind(sql_name)`: the value as `$name`, a literal, or the macro parameter `name`.
- `{%- call when(name) %}clause{% endcall %}`: a line `AND (clause)` when the value is given,
  nothing otherwise; in a macro, `AND (name IS NULL OR (clause))`. `when(name, 'QUALIFY')`
  does the same with a clause over a window.
- `choose(name, if_given, otherwise)`: SQL `if_given` when the value is given, `otherwise` when
  not; in a macro, `CASE WHEN name IS NOT NULL THEN (if_given) ELSE (otherwise) END`, which
  DuckDB folds, since a macro's arguments are constants.
- `given(name)`: whether the value is given (never, in a macro's body, except for a switch).
- `chosen(name)`: the chosen values of a `choices` parameter (in a macro: all of them; the macro
  then keeps only the chosen columns, see `column_groups`); `allowed(name)`: all of them.
- `each(name, 'AND'|'OR', pattern)`: `pattern` (with `{}` for the value) joined over the chosen
  values; in a macro each term is guarded by whether its value is chosen.
- `column(name, pattern)`: the output column named after a choice's value (`'{}_id'`).
- `{%- call check(name) %}query{% endcall %}`: a check of a given value against the catalog, a
  query giving one row, `bad` and `message`; `checks()`, which every template calls before its
  ORDER BY, raises DuckDB's error(message) when `bad` (catalog.template_sql).
- `order_by()`: ORDER BY the declared `order`, or nothing when `order_by` is none.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from catalog.errors import CatalogError
from catalog.sqltext import literal, render, resource_names, resource_text
from catalog.template_sql import ORDER_PARAM, UNORDERED, Context, sql_value, switch_guard

PACKAGE = "catalog.sql"
SUFFIX = ".sql.j2"
TYPES = ("int", "range", "choice", "choices", "flag", "text")
FLAG_YES = ("yes", "true")
FLAG_NO = ("no", "false")
_REQUIRED = object()
_HEADER = re.compile(r"\A\s*\{#(?P<toml>.*?)#\}", re.DOTALL)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    help: str
    allowed: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    default: object = _REQUIRED
    # For `choices`: the output columns that belong to each value, e.g. "encord_{}_id".
    column_groups: tuple[str, ...] = ()
    # A flag or choice that changes the query's shape: a macro holds one body per value.
    switch: bool = False
    # Another parameter this one must not equal (two columns would have the same name).
    differs_from: str | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    @property
    def sql_names(self) -> tuple[str, ...]:
        return (f"{self.name}_min", f"{self.name}_max") if self.type == "range" else (self.name,)

    def allowed_text(self) -> str:
        if self.type == "flag":
            return "yes or no (also true, false)"
        if self.type in ("choice", "choices"):
            return ", ".join(self.allowed)
        if self.type in ("int", "range"):
            return f"{self.min} to {self.max}" + (" (a number or lo..hi)" * (self.type == "range"))
        return "any text"

    def describe(self) -> str:
        kind = {"choices": "one or more of", "choice": "one of"}.get(self.type, self.type)
        allowed = "" if self.type == "text" else " " + self.allowed_text()
        if self.required:
            default = "required"
        elif self.type == "flag":
            default = "default no"
        elif self.default is None:
            default = "optional"
        else:
            default = f"default {self.default}"
        return f"{self.name} ({kind}{allowed}; {default}): {self.help}"

    def show(self, value) -> str:
        """A parsed value as a user writes it on the command line."""
        if self.type == "range":
            lo, hi = value
            return str(lo) if lo == hi else f"{lo}..{hi}"
        if self.type == "choices":
            return ",".join(value)
        return str(value)

    def parse(self, raw, template: str):
        """The value of `raw` (text from the command line, or a Python value), or CatalogError
        saying what is allowed."""
        where = f"parameter {self.name} of {template}"
        if raw is None:
            if self.required:
                raise CatalogError(f"{where} is required. Allowed: {self.allowed_text()}.")
            return None
        if self.type == "text":
            if not isinstance(raw, str):
                raise CatalogError(f"{where}: {raw!r} is not text.")
            return raw
        if self.type == "flag":
            word = raw.strip().lower() if isinstance(raw, str) else raw
            if word is True or word in FLAG_YES:
                return "yes"
            if word is False or word in FLAG_NO:
                return None  # no is the same as not given
            raise CatalogError(f"{where}: {raw!r} is not allowed. Allowed: {self.allowed_text()}.")
        if self.type == "int":
            n = _whole(raw)
            if n is None or not self.min <= n <= self.max:
                raise CatalogError(
                    f"{where}: {raw!r} is not allowed. Allowed: {self.allowed_text()}."
                )
            return n
        if self.type == "range":
            bounds = _range(raw)
            if bounds is None or not self.min <= bounds[0] <= bounds[1] <= self.max:
                raise CatalogError(
                    f"{where}: {raw!r} is not allowed. Allowed: {self.allowed_text()}, "
                    f"e.g. {self.min} or {self.min}..{self.max}."
                )
            return bounds
        if isinstance(raw, str):
            values = [raw] if self.type == "choice" else raw.split(",")
        else:
            values = raw
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise CatalogError(f"{where}: {raw!r} is not text. Allowed: {self.allowed_text()}.")
        values = [v.strip() for v in values]
        wrong = [v for v in values if v not in self.allowed]
        if wrong or not values or (self.type == "choice" and len(values) != 1):
            what = f"{wrong[0]!r} is not allowed" if wrong else f"{raw!r} is not one value"
            raise CatalogError(f"{where}: {what}. Allowed: {self.allowed_text()}.")
        if self.type == "choice":
            return values[0]
        return tuple(v for v in self.allowed if v in values)  # one order: the declared one

    def bound(self, value) -> dict[str, object]:
        """SQL name -> value, as bound to the statement."""
        if self.type == "range":
            lo, hi = value
            return {f"{self.name}_min": lo, f"{self.name}_max": hi}
        return {self.name: list(value) if self.type == "choices" else value}

    def switch_values(self) -> tuple:
        """The values a switch's macro bodies are made for."""
        return ("yes", None) if self.type == "flag" else self.allowed


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    order: tuple[str, ...]
    example: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise CatalogError(
            f"template {self.name} has no parameter {name!r}. "
            f"Parameters: {', '.join(p.name for p in self.params) or 'none'}."
        )

    def values(self, raw: Mapping[str, object]) -> dict[str, object]:
        """Every parameter's value: `raw` checked and parsed, defaults filled in."""
        for name in raw:
            self.param(name)
        out = {}
        for p in self.params:
            given = raw.get(p.name)
            if given is None and not p.required:
                out[p.name] = p.parse(p.default, self.name) if p.default is not None else None
            else:
                out[p.name] = p.parse(given, self.name)
        for p in self.params:
            if p.differs_from and out[p.name] is not None and out[p.name] == out[p.differs_from]:
                raise CatalogError(
                    f"parameter {p.name} of {self.name}: {out[p.name]!r} is {p.differs_from} "
                    "too. Give two different values."
                )
        return out

    def render(self, values: Mapping[str, object], mode: str = "bind"):
        """(sql, bound values) for parsed `values`; in inline and macro modes nothing is bound."""
        ctx = Context(self, values, mode)
        sql = render(PACKAGE, self.name + SUFFIX, **ctx.helpers())
        if not ctx.checked:
            raise ValueError(f"{self.name}{SUFFIX} never calls checks()")
        sql = _HEADER.sub("", sql, count=1).strip().rstrip(";")
        return sql, ctx.used

    def macro_body(self) -> str:
        """The SQL of the table macro: the template with its parameters as the macro's. A switch
        gives one body per value, each running only under its own value (DuckDB drops the
        others as it plans a call)."""
        values = {p.name: p.allowed if p.type == "choices" else None for p in self.params}
        switches = [p for p in self.params if p.switch]
        bodies = []
        for combination in itertools.product(*(p.switch_values() for p in switches)):
            fixed = dict(zip((p.name for p in switches), combination, strict=True))
            body, _ = self.render({**values, **fixed}, "macro")
            guard = " AND ".join(switch_guard(p, fixed[p.name]) for p in switches)
            bodies.append(f"SELECT * FROM (\n{body}\n) WHERE {guard}" if switches else body)
        body = "\nUNION ALL\n".join(bodies)
        keep = [self._column_filter(p) for p in self.params if p.column_groups]
        if keep:
            body = f"SELECT COLUMNS(lambda c: {' AND '.join(keep)}) FROM (\n{body}\n)"
        return body

    def macro_sql(self) -> str:
        """CREATE MACRO ... AS TABLE with the template's body, and its comment."""
        required = [n for p in self.params if p.required for n in p.sql_names]
        optional = []
        for p in self.params:
            if p.required:
                continue
            if p.default is None:
                defaults = dict.fromkeys(p.sql_names)
            else:
                defaults = p.bound(p.parse(p.default, self.name))
            optional += [f"{n} := {sql_value(v)}" for n, v in defaults.items()]
        signature = ", ".join(required + optional)
        return (
            f"CREATE OR REPLACE MACRO {self.name}({signature}) AS TABLE\n{self.macro_body()};\n"
            f"COMMENT ON MACRO TABLE {self.name} IS {literal(self.comment())};\n"
        )

    def comment(self) -> str:
        """The macro's comment: title, description, parameters and the order of the rows."""
        params = "; ".join(p.describe() for p in self.params)
        return f"{self.title}. {self.description} Parameters: {params} {self.order_text()}"

    def order_text(self) -> str:
        """The declared order, for people."""
        keys = ", ".join(re.sub(r"\{(\w+)\}", r"<\1>", k) for k in self.order)
        text = f"Rows are ordered by {keys}"
        if any(p.name == ORDER_PARAM for p in self.params):
            text += f" (-p {ORDER_PARAM} {UNORDERED}: unordered)"
        return text + "."

    def macro_call(self, values: Mapping[str, object]) -> str:
        """`SELECT * FROM name(...)`: the table macro called with parsed `values`."""
        args = []
        for p in self.params:
            bound = p.bound(values[p.name]) if values[p.name] is not None else {}
            for n, v in bound.items():
                args.append(sql_value(v) if p.required else f"{n} := {sql_value(v)}")
        return f"SELECT * FROM {self.name}({', '.join(args)})"

    def _column_filter(self, p: Param) -> str:
        """Keep column c unless it belongs to a value of `p` that was not chosen."""
        terms = []
        for v in p.allowed:
            cols = ", ".join(literal(g.replace("{}", v)) for g in p.column_groups)
            terms.append(f"(list_contains({p.name}, {literal(v)}) OR c NOT IN ({cols}))")
        return " AND ".join(terms)


def _whole(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+\s*", raw):
        return int(raw)
    return None


def _range(raw) -> tuple[int, int] | None:
    if isinstance(raw, str) and ".." in raw:
        lo, _, hi = raw.partition("..")
        bounds = (_whole(lo), _whole(hi))
    elif isinstance(raw, (tuple, list)) and len(raw) == 2:
        bounds = (_whole(raw[0]), _whole(raw[1]))
    else:
        bounds = (_whole(raw), _whole(raw))
    if None in bounds or bounds[0] > bounds[1]:
        return None
    return bounds


def _param(spec: dict, template: str) -> Param:
    kind = spec.get("type")
    if kind not in TYPES:
        raise ValueError(f"{template}: parameter {spec.get('name')}: type must be one of {TYPES}")
    if spec.get("optional") or kind == "flag":
        default = None
    else:
        default = spec.get("default", _REQUIRED)
    param = Param(
        name=spec["name"],
        type=kind,
        help=spec["help"],
        allowed=tuple(spec.get("allowed", ())),
        min=spec.get("min"),
        max=spec.get("max"),
        default=default,
        column_groups=tuple(spec.get("column_groups", ())),
        switch=spec.get("switch", False),
        differs_from=spec.get("differs_from"),
    )
    if param.switch and not (kind == "flag" or (kind == "choice" and default in param.allowed)):
        raise ValueError(
            f"{template}: switch {param.name} must be a flag or a choice with a default"
        )
    return param


def parse_template(name: str, text: str) -> Template:
    """A template from its file text (header checked, parameters declared)."""
    match = _HEADER.match(text)
    if not match:
        raise ValueError(f"{name}{SUFFIX} does not start with a {{# TOML header #}}")
    head = tomllib.loads(match["toml"])
    params = tuple(_param(spec, name) for spec in head.get("params", []))
    template = Template(
        name=name,
        title=head["title"],
        description=head["description"],
        params=params,
        order=tuple(head["order"]),
        example=dict(head.get("example", {})),
    )
    for p in params:  # defaults must be valid values themselves
        if not p.required and p.default is not None:
            p.parse(p.default, name)
    if "{" in template.order[0]:
        raise ValueError(f"{name}: the first order column must be a plain name (checks use it)")
    return template


@cache
def templates() -> dict[str, Template]:
    """Every template shipped in the package, by name."""
    out = {}
    for file in resource_names(PACKAGE, SUFFIX):
        name = file.removesuffix(SUFFIX)
        out[name] = parse_template(name, resource_text(PACKAGE, file))
    return out


def get_template(name: str) -> Template:
    found = templates().get(name)
    if found is None:
        raise CatalogError(f"no template {name!r}. Templates: {', '.join(templates())}.")
    return found


def prepare(name: str, raw: Mapping[str, object], mode: str = "bind"):
    """(template, parsed values, sql, bound values) for template `name` with `raw` parameters."""
    template = get_template(name)
    values = template.values(raw)
    sql, bound = template.render(values, mode)
    return template, values, sql, bound
