"""The helpers a template's SQL calls, in the three modes it renders in (catalog.templates).

In `bind` mode a value is a `$name` placeholder, in `inline` mode a quoted literal, and in `macro`
mode the table macro's parameter of that name, whose value is known only when the macro is
called: there, SQL that depends on a value becomes SQL that tests it, which DuckDB folds, since a
macro's arguments are constants. A `switch` parameter (order_by: an ORDER BY or none) changes
the shape of the query, so the macro holds one body per value of it instead
(catalog.templates.Template.macro_sql), and these helpers see that value as in `bind` mode.

Values a template cannot check alone (a source dataset the catalog does not hold, a scan that
never ran) are checked in SQL, by DuckDB's error(): a `check` query gives one row, `bad` and its
`message`, and `checks()` adds it to the query as a branch, `UNION ALL BY NAME SELECT
error(message) ... WHERE bad`. A branch of a union always runs, whatever the rest finds (a
check in the WHERE clause or a joined CTE did not run when another filter left no rows:
measured), and a branch whose condition folds to false (the value was not given) is dropped
when DuckDB plans the query: it costs nothing. A macro also checks the value of every declared
parameter this way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from catalog.sqltext import literal

if TYPE_CHECKING:
    from catalog.templates import Param, Template

MODES = ("bind", "inline", "macro")
ORDER_PARAM = "order_by"  # a parameter of this name can turn the declared order off ...
UNORDERED = "none"  # ... with this value
_PATTERN = re.compile(r"\{(\w+)\}")


class Context:
    """The helpers one rendering calls; they record the bound values the SQL uses."""

    def __init__(self, template: Template, values: Mapping[str, object], mode: str):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.t = template
        self.values = values
        self.mode = mode
        self.flat = {}
        for p in template.params:
            if values[p.name] is None:
                self.flat.update({n: None for n in p.sql_names})
            else:
                self.flat.update(p.bound(values[p.name]))
        self.used: dict[str, object] = {}
        self.registered: list[tuple[Param, str]] = []
        self.checked = False

    def helpers(self) -> dict[str, object]:
        return {
            "bind": self.bind,
            "when": self.when,
            "given": self.given,
            "choose": self.choose,
            "chosen": self.chosen,
            "each": self.each,
            "allowed": self.allowed,
            "column": self.column,
            "check": self.check,
            "checks": self.checks,
            "order_by": self.order_by,
        }

    def fixed(self, p: Param) -> bool:
        """Whether Python knows the value of `p` here: always, except in a macro's body."""
        return self.mode != "macro" or p.switch

    def bind(self, sql_name: str) -> str:
        if sql_name not in self.flat:
            raise KeyError(f"{self.t.name}: bind({sql_name!r}) names no parameter")
        if self.mode == "macro":
            return sql_name
        if self.mode == "inline":
            return sql_value(self.flat[sql_name])
        self.used[sql_name] = self.flat[sql_name]
        return "$" + sql_name

    def when(self, name: str, keyword: str = "AND", *, caller) -> str:
        """A line `AND (clause)` when the value is given; in a macro, a clause that also holds
        when it is not. `keyword` may be QUALIFY instead, for a clause over a window."""
        if keyword not in ("AND", "QUALIFY"):
            raise ValueError("keyword is AND or QUALIFY")
        p = self.t.param(name)
        if not self.fixed(p):
            return f"\n{keyword} ({absent_sql(p)} OR ({caller().strip()}))"
        return f"\n{keyword} ({caller().strip()})" if self.values[name] is not None else ""

    def given(self, name: str) -> bool:
        """Whether `name` has a value, so the SQL may take a shape for it. False in a macro's
        body (one body serves every call), except for a switch."""
        p = self.t.param(name)
        return self.fixed(p) and self.values[name] is not None

    def choose(self, name: str, if_given: str, otherwise: str) -> str:
        p = self.t.param(name)
        if not self.fixed(p):
            return f"CASE WHEN {given_sql(p)} THEN ({if_given}) ELSE ({otherwise}) END"
        return if_given if self.values[name] is not None else otherwise

    def chosen(self, name: str) -> tuple[str, ...]:
        return tuple(self.values[name])

    def allowed(self, name: str) -> tuple[str, ...]:
        return self.t.param(name).allowed

    def each(self, name: str, joiner: str, pattern: str) -> str:
        if joiner not in ("AND", "OR"):
            raise ValueError("joiner is AND or OR")
        terms = []
        for v in self.chosen(name):
            term = pattern.replace("{}", v)
            if self.mode == "macro":
                guard = f"list_contains({name}, {literal(v)})"
                term = f"(NOT {guard} OR {term})" if joiner == "AND" else f"({guard} AND {term})"
            terms.append(term)
        return "(" + f" {joiner} ".join(terms) + ")"

    def column(self, name: str, pattern: str) -> str:
        """The output column named after the value of choice `name`: `pattern` with `{}` for the
        value, e.g. '{}_id' -> points_id. A macro picks it by name with COLUMNS()."""
        p = self.t.param(name)
        if p.type != "choice":
            raise ValueError(f"{self.t.name}: column() takes a choice parameter, not {name}")
        if self.fixed(p):
            return pattern.replace("{}", self.values[name])
        return f"COLUMNS(lambda c: c = replace({literal(pattern)}, '{{}}', {name}))"

    def check(self, name: str, caller) -> str:
        """Register a check of the value of `name`: a query giving one row, `bad` and
        `message`. `checks()` adds it to the query; only given values are checked."""
        p = self.t.param(name)
        if not self.fixed(p) or self.values[name] is not None:
            self.registered.append((p, caller().strip()))
        return ""

    def checks(self) -> str:
        """The registered checks, and in a macro a check of every parameter's value, as union
        branches that raise error(message) when the value is wrong. Every template calls it,
        after its last check and before its ORDER BY."""
        self.checked = True
        column = self.t.order[0]
        branches = []
        for p, query in self.registered:
            guard = "" if self.fixed(p) else f"{given_sql(p)} AND "
            branches.append(
                f"SELECT error(c.message) AS {column} FROM (\n{query}\n) AS c WHERE {guard}c.bad"
            )
        if self.mode == "macro":
            for p in self.t.params:
                valid = valid_sql(p)
                if valid:
                    message = _wrong_value_message(self.t, p)
                    branches.append(f"SELECT error({message}) AS {column} WHERE NOT ({valid})")
        return "".join(f"\nUNION ALL BY NAME\n{b}" for b in branches)

    def order_by(self) -> str:
        """ORDER BY the template's declared order, or nothing when its order_by is none."""
        if self.values.get(ORDER_PARAM) == UNORDERED:
            return ""
        names = {n for p in self.t.params for n in p.sql_names}
        keys = []
        for key in self.t.order:
            found = _PATTERN.search(key)
            if found:
                keys.append(self.column(found[1], _PATTERN.sub("{}", key)))
            elif self.mode == "macro" and key in names:  # the name would mean the argument
                keys.append(f"COLUMNS(lambda c: c = {literal(key)})")
            else:
                keys.append(key)
        return "ORDER BY " + ", ".join(keys)


def given_sql(p: Param) -> str:
    """In a macro: whether the argument for `p` counts as given. A flag counts when it is yes or
    true; no, false and NULL are not given."""
    if p.type == "flag":
        return f"coalesce(lower({p.name}::VARCHAR) IN ('yes', 'true'), false)"
    return f"{p.sql_names[0]} IS NOT NULL"


def absent_sql(p: Param) -> str:
    """In a macro: whether the argument for `p` counts as not given."""
    return f"NOT ({given_sql(p)})" if p.type == "flag" else f"{p.sql_names[0]} IS NULL"


def valid_sql(p: Param) -> str | None:
    """In a macro: whether the argument for `p` is one `emm1 query` would take (NULL is, as
    not given); None for text, which takes anything."""
    n = p.name
    if p.type == "choice":
        return f"{n} IS NULL OR {n} IN ({', '.join(map(literal, p.allowed))})"
    if p.type == "choices":
        return f"{n} IS NULL OR list_has_all([{', '.join(map(literal, p.allowed))}], {n})"
    if p.type == "flag":
        return f"{n} IS NULL OR lower({n}::VARCHAR) IN ('yes', 'no', 'true', 'false')"
    if p.type == "int":
        return f"{n} IS NULL OR {n} BETWEEN {p.min} AND {p.max}"
    if p.type == "range":
        lo, hi = p.sql_names
        return f"coalesce({p.min} <= {lo} AND {lo} <= {hi} AND {hi} <= {p.max}, TRUE)"
    return None


def _wrong_value_message(t: Template, p: Param) -> str:
    """SQL text of the message for a macro argument `p` does not allow."""
    head = f"parameter {p.name} of {t.name}: "
    if p.type == "range":
        lo, hi = p.sql_names
        parts = [literal(f"{head}{lo} := "), lo, literal(f", {hi} := "), hi]
        allowed = f"{p.min} <= {lo} <= {hi} <= {p.max}"
    else:
        parts = [literal(f"{head}{p.name} := '"), f"{p.name}::VARCHAR", literal("'")]
        allowed = p.allowed_text()
    parts.append(literal(f" is not allowed. Allowed: {allowed}."))
    return f"concat({', '.join(parts)})"


def switch_guard(p: Param, value) -> str:
    """In a macro: the condition under which the body made for `value` of switch `p` runs. The
    default value's body also takes every value that is not another's, so a wrong one still
    reaches that body's checks."""
    if p.type == "flag":
        return given_sql(p) if value is not None else f"NOT ({given_sql(p)})"
    others = [v for v in p.allowed if v != p.default]
    if value == p.default:
        return f"coalesce({p.name} NOT IN ({', '.join(map(literal, others))}), TRUE)"
    return f"coalesce({p.name} = {literal(value)}, FALSE)"


def sql_value(value) -> str:
    """A parsed value as SQL text: the one place values are inlined (render and macros)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise TypeError("no boolean parameters")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as SQL")
