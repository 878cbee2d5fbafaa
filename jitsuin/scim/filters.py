"""A SCIM filter, as parsed by scim2-models, turned into a Django query on Person.

The library parses and checks the filter against :class:`jitsuin.scim.schema.User`; this
module only maps each attribute to the column that holds it. String comparisons follow the
schema's case sensitivity (``externalId`` is case-exact, the rest are not, RFC 7643 §4.1).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    Not,
    Present,
    ValuePath,
)

from jitsuin.scim.schema import ENTERPRISE_SCHEMA, USER_SCHEMA

# (attribute, sub-attribute), lower case -> (lookup on Person, case-exact).
COLUMNS: dict[tuple[str, str | None], tuple[str, bool]] = {
    ("username", None): ("uid", False),
    ("externalid", None): ("scim_link__external_id", True),
    ("displayname", None): ("name_ja", False),
    ("name", "formatted"): ("name_en", False),
    ("name", "givenname"): ("scim_link__given_name", False),
    ("name", "familyname"): ("scim_link__family_name", False),
    ("emails", None): ("email", False),
    ("emails", "value"): ("email", False),
    ("emails", "type"): ("scim_link__email_type", False),
    ("active", None): ("active", True),
    (f"{ENTERPRISE_SCHEMA}:department".lower(), None): ("affiliation", False),
    ("id", None): ("pk", True),
}
MAX_ID_DIGITS = 18  # a bigint; longer digit strings name no one (and overflow the column)
STRING_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}


def person_pk(person_id: str) -> int | None:
    """The primary key a SCIM id names; None for text that is no person's id."""
    if not (person_id.isascii() and person_id.isdigit() and len(person_id) <= MAX_ID_DIGITS):
        return None
    return int(person_id)


def _column(path: AttrPath, prefix: str | None = None) -> tuple[str, bool]:
    attr, sub = (prefix, path.attr) if prefix else (path.attr, path.sub_attr)
    if path.uri and path.uri.lower() != USER_SCHEMA.lower():
        attr = f"{path.uri}:{attr}"
    key = (attr.lower(), sub.lower() if sub else None)
    if key not in COLUMNS:
        raise InvalidFilterException(detail=f"jitsuin does not filter on {path}")
    return COLUMNS[key]


class PersonQuery(FilterVisitor[Q]):
    """``PersonQuery().visit(search.filter.ast)``: the Q selecting the people it matches."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix

    def visit_comparison(self, node: Comparison) -> Q:
        column, case_exact = _column(node.attr_path, self.prefix)
        op = node.op.value.lower()
        value: Any = node.value
        if column == "pk":
            if op not in ("eq", "ne"):
                raise InvalidFilterException(detail="id takes eq and ne only")
            pk = person_pk(str(value))
            matched = Q(pk=pk) if pk is not None else Q(pk__in=[])
            return ~matched if op == "ne" else matched
        if isinstance(value, bool) or column == "active":
            if op not in ("eq", "ne") or not isinstance(value, bool):
                raise InvalidFilterException(detail=f"{node.attr_path} takes eq or ne true/false")
            return Q(**{column: value}) if op == "eq" else ~Q(**{column: value})
        if op == "ne":
            return ~self._string(column, "eq", value, case_exact)
        if op not in STRING_LOOKUPS:
            raise InvalidFilterException(detail=f"jitsuin does not compare strings with {op}")
        return self._string(column, op, value, case_exact)

    @staticmethod
    def _string(column: str, op: str, value: Any, case_exact: bool) -> Q:
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"compare {column} with a string")
        lookup = STRING_LOOKUPS[op] if case_exact else "i" + STRING_LOOKUPS[op]
        return Q(**{f"{column}__{lookup}": value})

    def visit_present(self, node: Present) -> Q:
        column, _ = _column(node.attr_path, self.prefix)
        if column in ("pk", "active"):
            return Q(**{f"{column}__isnull": False})
        return Q(**{f"{column}__gt": ""})

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op.value == "and" else combined | term
        return combined

    def visit_value_path(self, node: ValuePath) -> Q:
        if node.attr_path.sub_attr or node.attr_path.attr.lower() != "emails":
            raise InvalidFilterException(detail=f"jitsuin does not filter on {node.attr_path}")
        return PersonQuery(prefix="emails").visit(node.val_filter)
