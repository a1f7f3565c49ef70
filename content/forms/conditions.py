"""A small, safe parser for XLSForm-like conditions (`relevant`, `constraint`, step `when`).

Questionnaires are edited by officers, so their expressions are data: they are tokenised and
parsed here by a recursive-descent parser into a tiny tree, evaluated by walking it
(evaluation.py). Nothing
is ever passed to eval/exec/compile, and only the functions listed in `FUNCTIONS` exist, so
`__import__('os')` is a syntax error, not a call.

Grammar (lowest precedence first):
    or_expr  := and_expr ("or" and_expr)*
    and_expr := cmp ("and" cmp)*
    cmp      := sum (("=" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "div" | "mod") unary)*
    unary    := "-" unary | primary
    primary  := NUMBER | STRING | "${name}" | "." | NAME "(" args ")" | "(" or_expr ")"

Empty values (unanswered, skipped, "" or []) make every comparison false, except a comparison
with the literal '' which tests emptiness (`${x} != ''` = "x was answered").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_LENGTH = 2000
MAX_DEPTH = 40


class ConditionError(ValueError):
    """The expression is not valid; `pos` is the 0-based character where it went wrong."""

    def __init__(self, message: str, pos: int | None = None):
        self.message = message
        self.pos = pos
        super().__init__(message if pos is None else f"{message} (at character {pos + 1})")


# --- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][A-Za-z0-9_]*)\s*\})
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<dot>\.)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ref, number, string, op, name, dot, lpar, rpar, comma, end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; anything unknown (`[`, `;`, `$x`...) is an error."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m:
            raise ConditionError(f"unexpected character {source[pos]!r}", pos)
        kind = m.lastgroup
        if kind == "refname":  # lastgroup is the inner group for references
            kind = "ref"
        if kind == "ref":
            tokens.append(Token("ref", m.group("refname"), pos))
        elif kind == "string":
            tokens.append(Token("string", m.group()[1:-1], pos))
        elif kind != "ws":
            tokens.append(Token(kind or "", m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# --- tree ---------------------------------------------------------------------------------

# Nodes are plain tuples: ("num", float) ("str", s) ("ref", name) ("cur",) ("call", name, args)
# ("cmp", op, a, b) ("arith", op, a, b) ("neg", a) ("and", a, b) ("or", a, b)
Node = tuple

# name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "not": (1, 1),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
}
_KEYWORDS = {"and", "or", "div", "mod"}


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, what: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            found = repr(tok.text) if tok.kind != "end" else "end of expression"
            raise ConditionError(f"expected {what}, found {found}", tok.pos)
        return self.take()

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text == word

    def parse(self) -> Node:
        if not self.source.strip():
            raise ConditionError("empty expression", 0)
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ConditionError(f"unexpected {tok.text!r}", tok.pos)
        return node

    def or_expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError("expression nested too deeply", self.peek().pos)
        node = self.and_expr()
        while self.is_word("or"):
            self.take()
            node = ("or", node, self.and_expr())
        self.depth -= 1
        return node

    def and_expr(self) -> Node:
        node = self.cmp()
        while self.is_word("and"):
            self.take()
            node = ("and", node, self.cmp())
        return node

    def cmp(self) -> Node:
        node = self.sum()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            node = ("cmp", tok.text, node, self.sum())
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in ("=", "!=", "<", "<=", ">", ">="):
                raise ConditionError("chained comparison: use 'and'", nxt.pos)
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            node = ("arith", op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while (self.peek().kind == "op" and self.peek().text == "*") or (
            self.is_word("div") or self.is_word("mod")
        ):
            op = self.take().text
            node = ("arith", op, node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ConditionError("expression nested too deeply", tok.pos)
            node = ("neg", self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            return ("num", float(tok.text))
        if tok.kind == "string":
            return ("str", tok.text)
        if tok.kind == "ref":
            return ("ref", tok.text)
        if tok.kind == "dot":
            return ("cur",)
        if tok.kind == "lpar":
            node = self.or_expr()
            self.expect("rpar", "')'")
            return node
        if tok.kind == "name":
            if tok.text in _KEYWORDS:
                raise ConditionError(f"'{tok.text}' needs a value before it", tok.pos)
            if tok.text not in FUNCTIONS:
                if self.peek().kind == "lpar":
                    raise ConditionError(f"unknown function {tok.text!r}", tok.pos)
                raise ConditionError(
                    f"unknown name {tok.text!r}: write ${{{tok.text}}} for a question, "
                    f"'{tok.text}' for text",
                    tok.pos,
                )
            self.expect("lpar", f"'(' after {tok.text}")
            args: list[Node] = []
            if self.peek().kind != "rpar":
                args.append(self.or_expr())
                while self.peek().kind == "comma":
                    self.take()
                    args.append(self.or_expr())
            self.expect("rpar", "')'")
            lo, hi = FUNCTIONS[tok.text]
            if not lo <= len(args) <= hi:
                raise ConditionError(
                    f"{tok.text}() takes {lo} argument{'s' if lo != 1 else ''}, got {len(args)}",
                    tok.pos,
                )
            return ("call", tok.text, tuple(args))
        found = repr(tok.text) if tok.kind != "end" else "end of expression"
        raise ConditionError(f"expected a value, found {found}", tok.pos)


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its source, tree, referenced question ids and use of `.`."""

    source: str
    tree: Node
    refs: frozenset[str]
    uses_current: bool


def _walk(node: Node):
    yield node
    if node[0] == "call":
        for arg in node[2]:
            yield from _walk(arg)
    elif node[0] in ("cmp", "arith"):
        yield from _walk(node[2])
        yield from _walk(node[3])
    elif node[0] in ("and", "or"):
        yield from _walk(node[1])
        yield from _walk(node[2])
    elif node[0] == "neg":
        yield from _walk(node[1])


def walk(expr: Expr):
    """Every node of the tree; lets the checker find `selected(${x}, 'v')` with unknown v."""
    return _walk(expr.tree)


@lru_cache(maxsize=4096)
def parse(source: str) -> Expr:
    """Parse once (cached: the same expressions are evaluated on every message)."""
    if not isinstance(source, str):
        raise ConditionError("expression must be text")
    if len(source) > MAX_LENGTH:
        raise ConditionError(f"expression longer than {MAX_LENGTH} characters")
    tree = _Parser(source).parse()
    nodes = list(_walk(tree))
    refs = frozenset(n[1] for n in nodes if n[0] == "ref")
    return Expr(source, tree, refs, any(n[0] == "cur" for n in nodes))
