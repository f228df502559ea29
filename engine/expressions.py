"""Checked, restricted evaluation of every expression a BPMN process contains.

SpiffWorkflow evaluates gateway conditions, timer expressions, multi-instance and payload expressions with
plain eval() and full builtins. We replace that with two independent layers:

1. check_expression(): our own AST whitelist (data names, bounded literals, comparisons, boolean and
   arithmetic operators, calls of whitelisted functions; no attribute access at all, so no method calls
   and no dunder walks). The BPMN validator calls it at deploy time; evaluate() calls it again (cached).
2. RestrictedPython's compile_restricted_eval with a policy that also refuses attributes and rewrites
   `*`, `+` and `%` into size-checking guards, run with empty builtins and refusing guard hooks.

RestrictedPython alone is not a sandbox and bounds neither CPU nor memory; layer 1 removes loops,
comprehensions, `**` and attribute access, and the guards check result sizes BEFORE computing them, so
each expression does work roughly proportional to its (bounded) size plus the data it reads.

Scripts (script tasks, pre/post scripts) are refused: execute() raises. Pure Python: never imports Django.
"""
from __future__ import annotations

import ast
import functools
from typing import Any, Callable, Iterable, Mapping

from RestrictedPython import compile_restricted_eval
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.functions import FUNCTION_NAMES

# ---------------------------------------------------------------- limits (documented in the report)

MAX_SOURCE_CHARS = 2_000
MAX_NODES = 500             # AST nodes; a 2,000-char condition rarely needs 200
MAX_DEPTH = 100             # nesting; keeps the recursive visitors far from the recursion limit
MAX_INT_LITERAL = 10**12    # money in đồng reaches billions; anything larger is not a legal threshold
MAX_FLOAT_LITERAL = 1e12
MAX_STR_LITERAL = 1_000
MAX_CONTAINER_LITERAL = 100  # items in one list/tuple/set/dict literal
MAX_CALL_ARGS = 20
MAX_SEQUENCE_RESULT = 100_000  # items/characters a `*` or `+` may produce
MAX_INT_RESULT = 10**30        # a `*` of ints may not exceed this
CACHE_SIZE = 4_096             # compiled expressions kept (refusals too)

SCRIPTS_REFUSED = ("scripts are not allowed: script tasks and pre/post scripts are refused; "
                   "compute with gateway conditions and whitelisted functions instead")
SERVICES_REFUSED = "service tasks are not allowed: use whitelisted functions in expressions"

# Python built-ins that open a way out of an expression. Builtins are empty at run time anyway; refusing
# the bare names too keeps a future change to the globals from exposing them.
RESERVED_NAMES = frozenset({
    "eval", "exec", "compile", "open", "input", "help", "breakpoint", "exit", "quit",
    "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars", "dir",
    "type", "object", "super", "memoryview", "classmethod", "staticmethod", "property",
    "print", "printed", "builtins", "format", "iter", "next",
})


class ExpressionError(ValueError):
    """An expression was refused (check) or exceeded a run-time bound (guards). `.problems` lists why."""

    def __init__(self, message: str, problems: Iterable[str] = ()):
        super().__init__(message)
        self.problems = list(problems) or [message]


# ---------------------------------------------------------------- layer 1: the AST whitelist

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_REFUSED_BINOPS = {ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
                   ast.BitAnd: "&", ast.MatMult: "@"}
_UNARYOPS = (ast.Not, ast.USub, ast.UAdd)          # no ~ (bit operators are not needed)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn)
_REFUSED_NODES = {
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "the walrus operator (:=) is not allowed",
    ast.Starred: "* unpacking is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


def _fmt(n: int | float) -> str:
    return f"{n:,}"


class _Checker:
    def __init__(self, allowed_functions: frozenset[str]):
        self.allowed = allowed_functions
        self.problems: list[str] = []

    def refuse(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def check(self, node: ast.AST) -> None:  # recursion is safe: depth was bounded first
        kind = type(node)
        handler = getattr(self, "check_" + kind.__name__, None)
        if handler is not None:
            handler(node)
        elif kind in _REFUSED_NODES:
            self.refuse(_REFUSED_NODES[kind])
        else:
            self.refuse(f"{kind.__name__} is not allowed in an expression")

    def check_Expression(self, node: ast.Expression) -> None:
        self.check(node.body)

    def check_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, int):
            if abs(value) > MAX_INT_LITERAL:
                self.refuse(f"integer literal too large (max {_fmt(MAX_INT_LITERAL)})")
        elif isinstance(value, float):
            if not abs(value) <= MAX_FLOAT_LITERAL:   # also refuses inf (1e999)
                self.refuse(f"number literal too large (max {_fmt(int(MAX_FLOAT_LITERAL))})")
        elif isinstance(value, str):
            if len(value) > MAX_STR_LITERAL:
                self.refuse(f"text literal too long ({_fmt(len(value))} characters; max {_fmt(MAX_STR_LITERAL)})")
        else:   # bytes, complex, Ellipsis: not task data
            self.refuse(f"{type(value).__name__} literals are not allowed")

    def check_Name(self, node: ast.Name, called: bool = False) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            self.refuse(f"assigning to '{name}' is not allowed")
        elif name.startswith("_"):
            self.refuse(f"name '{name}' is not allowed (names may not start with '_')")
        elif name in RESERVED_NAMES:
            self.refuse(f"name '{name}' is reserved and not allowed")
        elif name in self.allowed and not called:
            # Functions may only be called; passing them around would let data-typed code call them.
            self.refuse(f"function '{name}' may only be called, not used as a value")

    def check_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.check(value)

    def check_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, _UNARYOPS):
            self.refuse("the ~ operator is not allowed")
        self.check(node.operand)

    def check_BinOp(self, node: ast.BinOp) -> None:
        op = type(node.op)
        if op in _REFUSED_BINOPS:
            self.refuse(f"the {_REFUSED_BINOPS[op]} operator is not allowed")
        elif op not in _BINOPS:
            self.refuse(f"the {op.__name__} operator is not allowed")
        elif op is ast.Mod and isinstance(node.left, (ast.Constant, ast.JoinedStr)) \
                and isinstance(getattr(node.left, "value", ""), str):
            # printf formatting: '%1000000000d' % 1 allocates a gigabyte (also guarded at run time).
            self.refuse("text formatting with % is not allowed; use an f-string")
        self.check(node.left)
        self.check(node.right)

    def check_Compare(self, node: ast.Compare) -> None:
        for op in node.ops:
            if not isinstance(op, _CMPOPS):
                self.refuse(f"the {type(op).__name__} comparison is not allowed")
        self.check(node.left)
        for comparator in node.comparators:
            self.check(comparator)

    def check_IfExp(self, node: ast.IfExp) -> None:
        self.check(node.test)
        self.check(node.body)
        self.check(node.orelse)

    def _check_items(self, items: list, what: str) -> None:
        if len(items) > MAX_CONTAINER_LITERAL:
            self.refuse(f"{what} literal too long ({_fmt(len(items))} items; max {MAX_CONTAINER_LITERAL})")
        for item in items:
            self.check(item)

    def check_List(self, node: ast.List) -> None:
        self._check_ctx(node)
        self._check_items(node.elts, "list")

    def check_Tuple(self, node: ast.Tuple) -> None:
        self._check_ctx(node)
        self._check_items(node.elts, "tuple")

    def check_Set(self, node: ast.Set) -> None:
        self._check_items(node.elts, "set")

    def check_Dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            self.refuse("** unpacking is not allowed")
        self._check_items([key for key in node.keys if key is not None], "dict")
        for value in node.values:
            self.check(value)

    def _check_ctx(self, node: ast.AST) -> None:
        if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            self.refuse("assignment is not allowed")

    def _check_index(self, node: ast.AST) -> None:
        """Indexes are a constant, a data name, or a negated constant (`x[-1]`)."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and isinstance(node.operand, ast.Constant):
            node = node.operand
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, str)):
                self.refuse("an index must be a whole number or text")
            self.check_Constant(node)
        elif isinstance(node, ast.Name):
            self.check_Name(node)
        else:
            self.refuse("an index must be a constant or a data field name")

    def check_Subscript(self, node: ast.Subscript) -> None:
        self._check_ctx(node)
        self.check(node.value)
        index = node.slice
        if isinstance(index, ast.Slice):
            if index.step is not None:
                self.refuse("slices with a step are not allowed")
            for bound in (index.lower, index.upper):
                if bound is not None:
                    self._check_index(bound)
        else:
            self._check_index(index)

    def check_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.refuse(f"method calls are not allowed (.{func.attr}())")
            self.check(func.value)
        elif isinstance(func, ast.Name):
            if func.id in self.allowed:
                self.check_Name(func, called=True)
            else:
                self.refuse(f"function '{func.id}' is not allowed; allowed functions: "
                            + ", ".join(sorted(self.allowed)))
        else:
            self.refuse("only whitelisted functions may be called, by name")
            self.check(func)
        if len(node.args) + len(node.keywords) > MAX_CALL_ARGS:
            self.refuse(f"too many arguments (max {MAX_CALL_ARGS})")
        for arg in node.args:
            self.check(arg)   # a Starred argument is refused there
        for keyword in node.keywords:
            if keyword.arg is None:
                self.refuse("** unpacking is not allowed")
            elif keyword.arg.startswith("_"):
                self.refuse(f"keyword '{keyword.arg}' is not allowed (names may not start with '_')")
            self.check(keyword.value)

    def check_Attribute(self, node: ast.Attribute) -> None:
        self.refuse(f"attribute access is not allowed (.{node.attr})")
        self.check(node.value)

    def check_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            self.check(value)

    def check_FormattedValue(self, node: ast.FormattedValue) -> None:
        # A format spec like {x:>1000000000} allocates at will, and !r/!s/!a call methods of data.
        if node.format_spec is not None:
            self.refuse("format specifications in f-strings are not allowed")
        if node.conversion != -1:
            self.refuse("conversions (!r, !s, !a) in f-strings are not allowed")
        self.check(node.value)


def _size_problems(tree: ast.AST) -> list[str]:
    """Node count and depth, walked iteratively so a hostile tree cannot exhaust the stack."""
    count, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            return [f"expression too complex (more than {_fmt(MAX_NODES)} elements)"]
        if depth > MAX_DEPTH:
            return [f"expression nested too deeply (max depth {MAX_DEPTH})"]
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return []


# ---------------------------------------------------------------- layer 2: RestrictedPython + guards

# Rewritten operators: each guard checks the size of the result before computing it.
_GUARDED_BINOPS = {ast.Mult: "_safe_mul_", ast.Add: "_safe_add_", ast.Mod: "_safe_mod_"}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter: no attributes, no `**`/bit operators, guarded `* + %`."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.error(node, f"attribute access is not allowed (.{node.attr})")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        op = type(node.op)
        if op not in _BINOPS:
            self.error(node, f"the {op.__name__} operator is not allowed")
            return node
        guard = _GUARDED_BINOPS.get(op)
        if guard is None:
            return node
        # Created after visiting, so RestrictedPython's '_'-name check does not see the guard's name.
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        copy_locations(call.func, node)
        return call


_SEQUENCES = (str, list, tuple)


def _safe_mul(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) or isinstance(b, _SEQUENCES):
        seq, times = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
        if isinstance(times, int) and times > 0 and len(seq) * times > MAX_SEQUENCE_RESULT:
            raise ExpressionError(f"result of * too large ({_fmt(len(seq) * times)} items; "
                                  f"max {_fmt(MAX_SEQUENCE_RESULT)})")
        return a * b
    if isinstance(a, int) and isinstance(b, int):
        # The product has at least bits(a)+bits(b)-1 bits: refuse without computing huge ones.
        if a and b and (abs(a).bit_length() + abs(b).bit_length() - 1 > MAX_INT_RESULT.bit_length()
                        or abs(a * b) > MAX_INT_RESULT):
            raise ExpressionError(f"result of * too large (max {MAX_INT_RESULT:.0e})")
    return a * b


def _safe_add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_SEQUENCE_RESULT:
        raise ExpressionError(f"result of + too large ({_fmt(len(a) + len(b))} items; "
                              f"max {_fmt(MAX_SEQUENCE_RESULT)})")
    return a + b


def _safe_mod(a: Any, b: Any) -> Any:
    # '%' on text is printf formatting: '%1000000000d' % 1 allocates a gigabyte.
    if isinstance(a, (str, bytes)):
        raise ExpressionError("text formatting with % is not allowed; use an f-string")
    return a % b


def _guarded_getitem(obj: Any, key: Any) -> Any:
    if not isinstance(obj, (dict, list, tuple, str)):
        raise ExpressionError(f"indexing a {type(obj).__name__} is not allowed")
    if isinstance(key, slice) and key.step is not None:
        raise ExpressionError("slices with a step are not allowed")
    return obj[key]


def _refuse_attribute(obj: Any, name: str, *default: Any) -> Any:
    raise ExpressionError(f"attribute access is not allowed (.{name})")


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise ExpressionError("this construct is not allowed in an expression")


# Globals every evaluation sees. `__builtins__` must be present (else eval inserts the real builtins);
# guard names start with '_', which expressions may not name, so data cannot reach or replace them.
_GUARDS: dict[str, Any] = {
    "__builtins__": {},
    "_getattr_": _refuse_attribute,
    "_getitem_": _guarded_getitem,
    "_getiter_": _refuse,
    "_iter_unpack_sequence_": _refuse,
    "_unpack_sequence_": _refuse,
    "_write_": _refuse,
    "_apply_": _refuse,
    "_inplacevar_": _refuse,
    "_print_": _refuse,
    "_safe_mul_": _safe_mul,
    "_safe_add_": _safe_add,
    "_safe_mod_": _safe_mod,
}


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile(source: str, allowed_functions: frozenset[str]) -> tuple[Any, tuple[str, ...]]:
    """(code, ()) when allowed, else (None, problems). Cached by source: expressions repeat a lot."""
    if len(source) > MAX_SOURCE_CHARS:
        return None, (f"expression too long ({_fmt(len(source))} characters; max {_fmt(MAX_SOURCE_CHARS)})",)
    text = source.strip()   # BPMN text often carries surrounding newlines; eval() strips them too
    if not text:
        return None, ("expression is empty",)
    try:
        tree = ast.parse(text, "<expression>", mode="eval")
    except SyntaxError as err:
        where = f" (column {err.offset})" if err.offset else ""
        return None, (f"syntax error: {err.msg}{where}",)
    except (ValueError, RecursionError, MemoryError) as err:   # null bytes, parser limits
        return None, (f"cannot parse expression: {err.__class__.__name__}",)
    problems = _size_problems(tree)
    if problems:
        return None, tuple(problems)
    checker = _Checker(allowed_functions)
    checker.check(tree)
    if checker.problems:
        return None, tuple(checker.problems)
    # Layer 2 on the same (already whitelisted) tree.
    result = compile_restricted_eval(tree, filename="<expression>", policy=_Policy)
    if result.errors or result.code is None:
        return None, tuple(f"refused by RestrictedPython: {e}" for e in result.errors) or ("cannot compile",)
    return result.code, ()


def check_expression(source: str, allowed_functions: Iterable[str] | None = None) -> list[str]:
    """Empty list when `source` is an allowed expression, else human-readable reasons.

    allowed_functions defaults to the whitelist of engine.functions (FUNCTION_NAMES)."""
    if not isinstance(source, str):
        return [f"expression must be text, not {type(source).__name__}"]
    names = FUNCTION_NAMES if allowed_functions is None else frozenset(allowed_functions)
    return list(_compile(source, names)[1])


def compile_expression(source: str, allowed_functions: Iterable[str] | None = None) -> Any:
    """Code object for an allowed expression; raises ExpressionError listing the problems otherwise."""
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be text, not {type(source).__name__}")
    names = FUNCTION_NAMES if allowed_functions is None else frozenset(allowed_functions)
    code, problems = _compile(source, names)
    if code is None:
        raise ExpressionError(f"expression refused: {'; '.join(problems)}", problems)
    return code


# ---------------------------------------------------------------- the SpiffWorkflow environment

class RestrictedScriptEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates only checked expressions; refuses scripts and service calls.

    Name resolution: whitelisted functions and guards win over task data, task data over
    external_context (workflow data objects). So a field named `len` cannot break `len(x)`,
    and no data key can replace a guard. Task data should be JSON-like (the runner keeps it so);
    expressions cannot mutate it (no assignment, no method calls).
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]]):
        for name, func in functions.items():
            if not name.isidentifier() or name.startswith("_") or not callable(func):
                raise ValueError(f"bad whitelisted function {name!r}")
        super().__init__(dict(functions))
        self.function_names = frozenset(functions)
        self._fixed = {**self.globals, **_GUARDS}

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Mapping | None = None) -> Any:
        code = compile_expression(expression, self.function_names)
        if external_context:
            namespace = {**external_context, **context, **self._fixed}
        else:
            namespace = {**context, **self._fixed}
        return eval(code, namespace)   # noqa: S307 - checked, restricted code with empty builtins

    def execute(self, script: str, context: Any, external_context: Any = None) -> bool:
        raise ExpressionError(SCRIPTS_REFUSED)

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ExpressionError(SERVICES_REFUSED)


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose errors name the cause.

    The base class wraps evaluate() errors as "Error evaluating expression 'X'" without the reason, and its
    call_service() error path raises NameError (it refers to an undefined `script`)."""

    def __init__(self, environment: RestrictedScriptEnvironment):
        super().__init__(environment=environment)

    def evaluate(self, task: Any, expression: str, external_context: Mapping | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err.__class__.__name__}: {err}",
                task=task, exception=err) from err

    def execute(self, task: Any, script: str, external_context: Mapping | None = None) -> bool:
        raise WorkflowTaskException(SCRIPTS_REFUSED, task=task, exception=ExpressionError(SCRIPTS_REFUSED))

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        raise WorkflowTaskException(SERVICES_REFUSED, task=task, exception=ExpressionError(SERVICES_REFUSED))


def make_script_engine(functions: Mapping[str, Callable[..., Any]]) -> PythonScriptEngine:
    """A script engine for one workflow. Not serialized with the workflow: attach after every load."""
    return RestrictedScriptEngine(RestrictedScriptEnvironment(functions))
