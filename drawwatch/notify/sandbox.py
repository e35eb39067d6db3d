"""A Jinja2 sandbox that bounds what one render may cost in time and memory.

Jinja2's own sandbox stops templates reaching Python internals, not templates that never end or that build
gigabytes: ``{{ 'a'*400000000 }}`` was even computed at compile time (constant folding), and two nested loops
over ``range(100000)`` ran for hours. Operators' templates run here, so every render gets a
:class:`RenderBudget` (its :class:`RenderLimits`), and every way a template can spend is checked *before*
the work is done:

- **Steps and time.** The code generator wraps the iterable of every ``{% for %}`` in a counting iterator,
  and every call (macros, ``caller()``, methods, recursive ``loop()``), include and import counts too; each
  step also checks the wall clock. Every construct that repeats work goes through one of these, so a render
  ends within its step count or its deadline, whichever comes first.
- **Sizes.** ``*``, ``+``, ``**`` and ``%`` are intercepted (which also stops constant folding of them), and
  ``~``, list/tuple/dict literals, call results and every buffered block (macro bodies, ``{% set %}``
  blocks, ``caller()``) are checked: no string or sequence longer than ``max_size`` exists, and no value
  whose text (``str()``, as output or joined) would be longer. The methods and filters that grow text from
  a small input (``center``, ``ljust``, ``replace``, ``join``, ``format``, ``indent``, ``wordwrap``,
  ``batch``, ``tojson`` …) are checked from their arguments; ``range`` and ``lipsum`` are capped.
- **Allocation.** What those operations create is added up per render (``max_allocated``), so building many
  values each under the size cap (``range(10000)|map('center', 999999)|list``) fails as well.

Exceeding any bound raises :class:`RenderLimitExceeded`, a template error like any other; the caller turns
it into a message that names the template and line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import update_wrapper
from types import BuiltinMethodType, MethodType
from typing import Any, Final

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import Namespace, generate_lorem_ipsum, pass_context
from markupsafe import EscapeFormatter, Markup


@dataclass(frozen=True)
class RenderLimits:
    """What one render may spend. The defaults fit alerts (a few kilobytes, a few hundred steps)."""

    max_steps: int = 100_000  # loop iterations + calls + includes
    max_seconds: float = 0.5  # checked at each step: one step's work (one filter call) may add a little
    max_size: int = 256 * 1024  # characters of a string / items of a sequence / characters of a value's text
    max_allocated: int = 4_000_000  # characters and items created by checked operations, per render
    max_range: int = 10_000
    max_int_bits: int = 10_000
    max_format_width: int = 1_000  # a width or precision in a format spec, indent or tojson's indent


class RenderLimitExceeded(SecurityError):
    """A template went over one of its :class:`RenderLimits`; the message says which."""


class RenderBudget:
    """What one render has spent so far, against its limits."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.allocated = 0
        self.deadline = time.monotonic() + limits.max_seconds
        self._sizes: dict[int, tuple[object, int]] = {}  # id -> (the object, kept alive; its text size)
        self._namespaces = 0  # namespaces walked: what holds one may grow, so its size is not kept

    def step(self, count: int = 1) -> None:
        """Count loop iterations or calls, and check the clock."""
        self.steps += count
        if self.steps > self.limits.max_steps:
            raise RenderLimitExceeded(
                f"more than {self.limits.max_steps:,} loop iterations and calls; "
                "the template loops or recurses too much"
            )
        if time.monotonic() > self.deadline:
            raise RenderLimitExceeded(
                f"rendering took longer than {self.limits.max_seconds:g} s; the template does too much work"
            )

    def charge(self, size: int) -> None:
        """Count characters or items created by a checked operation."""
        self.allocated += size
        if self.allocated > self.limits.max_allocated:
            raise RenderLimitExceeded(
                f"the template created more than {self.limits.max_allocated:,} characters and items"
            )

    def check_size(self, size: int, what: str, unit: str = "characters") -> None:
        """Refuse (before it is made) a value of ``size`` characters or items, then count it."""
        if size > self.limits.max_size:
            raise RenderLimitExceeded(
                f"{what} would be {size:,} {unit} long, over the limit of {self.limits.max_size:,}"
            )
        self.charge(size)

    def text_size(self, value: object, what: str = "a value") -> int:
        """An upper bound of ``len(str(value))``, refused when over ``max_size``; containers are walked
        (cycles once), strings inside them counted as their ``repr``."""
        if isinstance(value, str):
            size = len(value)
        elif isinstance(value, bool | int | float | complex) or value is None:
            size = _number_text(value)
        else:
            size = self._walk(value, inside=False, path=set())
        if size > self.limits.max_size:
            raise RenderLimitExceeded(
                f"{what} would be longer than {self.limits.max_size:,} characters as text (the limit)"
            )
        return size

    def _walk(self, value: object, *, inside: bool, path: set[int]) -> int:
        if isinstance(value, str):
            if not inside:
                return len(value)
            return 2 * len(value) + 3 if value.isprintable() else 10 * len(value) + 3
        if isinstance(value, bytes | bytearray):
            return 4 * len(value) + 14
        if isinstance(value, bool | int | float | complex) or value is None:
            return _number_text(value)
        key = id(value)
        cached = self._sizes.get(key)
        if cached is not None:
            return cached[1]
        if key in path:
            return 5  # a cycle: repr writes "[...]"
        path.add(key)
        namespaces = self._namespaces
        self.steps += 1
        if self.steps % 256 == 0:
            self.step(0)
        limit = self.limits.max_size
        size = 2
        try:
            items: Iterable[Any]
            if isinstance(value, Namespace):
                self._namespaces += 1
                items = _namespace_attributes(value).items()
                size += 12
            elif isinstance(value, Mapping):
                items = value.items()
            elif isinstance(value, list | tuple | set | frozenset | range) or _is_view(value):
                items = value  # type: ignore[assignment]
            else:
                try:
                    size = len(repr(value))
                except Exception:
                    size = 256
                items = ()
            for item in items:
                if isinstance(item, tuple) and isinstance(value, Mapping | Namespace):
                    size += self._walk(item[0], inside=True, path=path) + 2
                    size += self._walk(item[1], inside=True, path=path) + 2
                else:
                    size += self._walk(item, inside=True, path=path) + 2
                if size > limit:
                    break
        finally:
            path.discard(key)
        if self._namespaces == namespaces:  # no namespace inside: immutable in this sandbox, so it stays
            self._sizes[key] = (value, size)
        return size


def _number_text(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value.bit_length() * 0.30103) + 2  # digits of 2**n: n*log10(2), plus sign
    return len(repr(value))


def _namespace_attributes(value: Namespace) -> dict[str, Any]:
    attributes: dict[str, Any] = getattr(value, "_Namespace__attrs", {})
    return attributes


def _is_view(value: object) -> bool:
    return type(value).__name__ in ("dict_keys", "dict_values", "dict_items")


_ACTIVE: ContextVar[RenderBudget | None] = ContextVar("drawwatch_render_budget", default=None)


# ----------------------------------------------------------------------------------------- code generator


class BudgetedCodeGenerator(CodeGenerator):
    """Jinja2's code generator with loops counted and ``~`` and literals size-checked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: dict[int, nodes.Node] = {}  # id -> the node (kept, so the id stays its own)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # Jinja2 forbids new node types, so the iterable is marked and wrapped when it is written out.
        self._loop_iterables[id(node.iter)] = node.iter
        super().visit_For(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self._loop_iterables:
            return super().visit(node, *args, **kwargs)
        self.write("environment.counted(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.checked_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":
            super().visit_Tuple(node, frame)
            return
        self._checked(super().visit_Tuple, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._checked(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._checked(super().visit_Dict, node, frame)

    def _checked(self, visit: Callable[[Any, Frame], None], node: nodes.Node, frame: Frame) -> None:
        self.write("environment.checked_value(")
        visit(node, frame)
        self.write(")")


class BudgetedTemplate(Template):
    """A template whose renders each get a budget (unless one is running), and whose includes count."""

    environment: BoundedSandbox

    def render(self, *args: Any, **kwargs: Any) -> str:
        with self.environment.budget():
            return super().render(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        with self.environment.budget():
            yield from super().generate(*args, **kwargs)

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> Context:
        budget = _ACTIVE.get()
        if budget is not None:  # an {% include %} or {% import %} inside a render
            budget.step()
        return super().new_context(vars, shared, locals)


# ------------------------------------------------------------------------------------------- environment

_INT_OPS: Final = frozenset({"*", "**"})
_PRINTF: Final = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<conversion>.?)",
    re.DOTALL,
)
_DIGITS: Final = re.compile(r"\d+")
_WRAP_WORK: Final = 500_000_000  # characters textwrap may copy cutting long words (about a tenth of a second)
_ESCAPE_GROWTH: Final = 5  # escape() turns one character into at most five ("&amp;", "&#39;")


_SAFE_ATTRIBUTES_KEPT: Final = 4096  # (type, name) verdicts: templates use a few dozen


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with every render held to :class:`RenderLimits` (module docstring)."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = BudgetedCodeGenerator
    template_class = BudgetedTemplate

    def __init__(self, *args: Any, limits: RenderLimits | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("finalize", self._finalize)
        super().__init__(*args, **kwargs)
        self.limits = limits or RenderLimits()
        self.filters = _GuardedFilters(self, self.filters)
        self.globals["range"] = self._range
        self.globals["lipsum"] = self._lipsum
        self._safe_attributes: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja2's verdict, kept per type and name: every check it makes is an ``isinstance`` of ``obj``
        and a test of ``attr`` (not of ``value``), so the answer for one pair holds for every object of
        that type. Objects whose ``__class__`` is not their type (proxies) are asked every time."""
        kind = type(obj)
        if getattr(obj, "__class__", None) is not kind:
            return super().is_safe_attribute(obj, attr, value)
        key = (kind, attr)
        verdict = self._safe_attributes.get(key)
        if verdict is None:
            verdict = super().is_safe_attribute(obj, attr, value)
            if len(self._safe_attributes) < _SAFE_ATTRIBUTES_KEPT:
                self._safe_attributes[key] = verdict
        return verdict

    # -------------------------------------------------------------------------------------- budget

    @contextmanager
    def budget(self) -> Iterator[RenderBudget]:
        """The running render's budget, or a fresh one for this render when none is running."""
        running = _ACTIVE.get()
        if running is not None:
            yield running
            return
        fresh = RenderBudget(self.limits)
        token = _ACTIVE.set(fresh)
        try:
            yield fresh
        finally:
            with suppress(ValueError):  # a generator finished in another context: nothing of ours is there
                _ACTIVE.reset(token)

    def current(self) -> RenderBudget:
        """The running render's budget; outside a render (direct calls), a fresh one per operation."""
        return _ACTIVE.get() or RenderBudget(self.limits)

    # ------------------------------------------------------------------------ hooks of the generated code

    def counted(self, iterable: Iterable[Any]) -> _CountedIterator:
        return _CountedIterator(iterable, self.current())

    def checked_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        budget = self.current()
        escaping = join.__name__ == "markup_join" and any(hasattr(p, "__html__") for p in parts)
        size = 0
        for part in parts:
            part_size = budget.text_size(part, "a part joined with ~")
            grows = escaping and not hasattr(part, "__html__")
            size += part_size * _ESCAPE_GROWTH if grows else part_size
        budget.check_size(size, "the result of ~")
        return join(parts)

    def checked_value(self, value: Any) -> Any:
        budget = self.current()
        budget.text_size(value, "a list, tuple or dict")
        budget.charge(len(value))
        return value

    def concat(self, parts: Iterable[Any]) -> str:  # Environment.concat is "".join
        """Joins every buffered block (macro bodies, ``{% set %}`` blocks, ``caller()``): sized first."""
        budget = self.current()
        pieces = []
        size = 0
        for part in parts:
            size += len(part)
            if size > budget.limits.max_size:
                budget.check_size(size, "a block's output")
            pieces.append(part)
        budget.charge(size)
        return "".join(pieces)

    def _finalize(self, value: Any) -> Any:
        """Every ``{{ value }}``: a container whose text would be too long is refused before ``str()``."""
        if not isinstance(value, str | int | float) and value is not None:
            self.current().text_size(value, "an output value")
        return value

    # -------------------------------------------------------------------------------------- operators

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = self.current()
        if operator == "*":
            _check_repeat(budget, left, right) or _check_repeat(budget, right, left)
        elif operator == "+":
            _check_add(budget, left, right)
        elif operator == "%" and isinstance(left, str):
            _check_printf(budget, left, right)
        elif operator == "%" and isinstance(left, bytes):
            _check_printf(budget, left.decode("latin-1"), right)
        if operator in _INT_OPS and _is_int(left) and _is_int(right):
            _check_int(budget, operator, left, right)
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str | list | tuple):
            budget.charge(len(result))
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = __self.current()
        budget.step()
        _check_method(budget, __obj, args)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's loop(children)
            args = (__self.counted(args[0]), *args[1:])
        elif _is_method(__obj, str | bytes, "join") and args:
            args = (list(__self.counted(args[0])), *args[1:])
            _check_join(budget, __obj.__self__, args[0])
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | bytes):
            budget.check_size(len(result), "a call's result")
        elif isinstance(result, list | tuple | dict | set | frozenset | Namespace):
            budget.text_size(result, "a call's result")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` and ``format_map``, through a formatter that checks each field's width and the
        growing result."""
        if not isinstance(value, MethodType | BuiltinMethodType) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        f_self: Any = value.__self__
        if not isinstance(f_self, str):
            return None
        str_type: type[str] = type(f_self)
        is_format_map = value.__name__ == "format_map"
        formatter: _BoundedFormatter = (
            _BoundedEscapeFormatter(self, escape=f_self.escape)
            if isinstance(f_self, Markup)
            else _BoundedFormatter(self)
        )

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs = args[0]
                args = ()
            formatter.start(self.current())
            return str_type(formatter.vformat(f_self, args, kwargs))

        return update_wrapper(wrapper, value)

    # ---------------------------------------------------------------------------------------- globals

    def _range(self, *args: int) -> range:
        span = range(*args)
        budget = self.current()
        if len(span) > budget.limits.max_range:
            raise RenderLimitExceeded(
                f"range() of {len(span):,} numbers is over the limit of {budget.limits.max_range:,}"
            )
        budget.charge(len(span))
        return span

    def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        budget = self.current()
        budget.check_size(int(n) * int(max) * 12, "lipsum()")
        return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


class _CountedIterator:
    """Iterates ``iterable`` counting each item against the budget; keeps ``len()`` for ``loop.length``."""

    __slots__ = ("_budget", "_iterable", "_iterator")

    def __init__(self, iterable: Iterable[Any], budget: RenderBudget) -> None:
        self._iterable = iterable
        self._iterator = iter(iterable)
        self._budget = budget

    def __iter__(self) -> _CountedIterator:
        return self

    def __next__(self) -> Any:
        item = next(self._iterator)
        self._budget.step()
        return item

    def __len__(self) -> int:
        return len(self._iterable)  # type: ignore[arg-type]  # TypeError without one, as LoopContext expects


# ----------------------------------------------------------------------------------------- the checks


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_method(obj: object, owner: type | tuple[type, ...] | Any, name: str) -> bool:
    return (
        isinstance(obj, BuiltinMethodType | MethodType)
        and obj.__name__ == name
        and isinstance(obj.__self__, owner)
    )


def _check_repeat(budget: RenderBudget, sequence: Any, times: Any) -> bool:
    """``sequence * times`` for a string or sequence: refused when its result would be too big."""
    if not isinstance(sequence, str | bytes | list | tuple) or not isinstance(times, int):
        return False
    count = max(times, 0)
    unit = "characters" if isinstance(sequence, str | bytes) else "items"
    budget.check_size(len(sequence) * count, "the result of *", unit)
    if count and not isinstance(sequence, str | bytes):
        size = budget.text_size(sequence, "the repeated value")
        if size * count > budget.limits.max_size:
            raise RenderLimitExceeded(
                f"the result of * would be about {size * count:,} characters long as text, over the limit of "
                f"{budget.limits.max_size:,}"
            )
    return True


def _check_add(budget: RenderBudget, left: Any, right: Any) -> None:
    kinds = (str, bytes, list, tuple)
    if not isinstance(left, kinds) or not isinstance(right, kinds):
        return
    if isinstance(left, str) and isinstance(right, str):
        grow = _ESCAPE_GROWTH if isinstance(left, Markup) != isinstance(right, Markup) else 1
        budget.check_size((len(left) + len(right)) * grow, "the result of +")
        return
    budget.check_size(len(left) + len(right), "the result of +", "items")
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        size = budget.text_size(left) + budget.text_size(right)
        if size > budget.limits.max_size:
            raise RenderLimitExceeded(
                f"the result of + would be {size:,} characters long as text, over the limit of "
                f"{budget.limits.max_size:,}"
            )


def _check_int(budget: RenderBudget, operator: str, left: int, right: int) -> None:
    """``*`` and ``**`` of whole numbers: refused when the result would have more than ``max_int_bits``."""
    if operator == "*":
        bits = left.bit_length() + right.bit_length()
    elif right <= 0 or left in (-1, 0, 1):
        bits = 1
    else:
        bits = max(left.bit_length() - 1, 1) * right
    if bits > budget.limits.max_int_bits:
        raise RenderLimitExceeded(
            f"the result of {operator} would be a number of about {bits:,} bits, over the limit of "
            f"{budget.limits.max_int_bits:,}"
        )


def _check_width(budget: RenderBudget, width: Any, what: str) -> None:
    if isinstance(width, int) and width > budget.limits.max_format_width:
        raise RenderLimitExceeded(f"{what} {width:,} is over the limit of {budget.limits.max_format_width:,}")


def _check_printf(budget: RenderBudget, template: str, values: Any) -> None:
    """``template % values``: each conversion's width, precision and value, added up before formatting."""
    size = len(template)
    position = 0
    growth = _ESCAPE_GROWTH if isinstance(template, Markup) else 1
    for match in _PRINTF.finditer(template):
        if match["conversion"] == "%":
            continue
        for part in ("width", "precision"):
            if match[part] == "*":
                raise RenderLimitExceeded("a '*' width or precision in a % format is not allowed")
            if match[part]:
                _check_width(budget, int(match[part]), f"the {part} of a % format")
                size += int(match[part])
        if match["key"] is not None and isinstance(values, Mapping):
            value = values.get(match["key"], "")
        elif isinstance(values, tuple):
            value = values[position] if position < len(values) else ""
            position += 1
        else:
            value = values
        text = budget.text_size(value, "a value formatted with %")
        size += text * (10 if match["conversion"] in ("r", "a") else 1) * growth + 2
    budget.check_size(size, "the result of %")


def _check_method(budget: RenderBudget, method: Any, args: tuple[Any, ...]) -> None:
    """Methods of ``str`` and ``bytes`` that grow their string, from their arguments."""
    if not isinstance(method, BuiltinMethodType | MethodType) or not isinstance(
        method.__self__, str | bytes | bytearray
    ):
        return
    text: Any = method.__self__
    name = method.__name__
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        budget.check_size(max(len(text), args[0]), f"the result of {name}()")
    elif name == "expandtabs":
        tab = args[0] if args and isinstance(args[0], int) else 8
        tabs = text.count("\t" if isinstance(text, str) else b"\t")
        budget.check_size(len(text) + tabs * max(tab, 0), "the result of expandtabs()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(budget, text, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "translate" and args and isinstance(args[0], Mapping) and isinstance(text, str):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        budget.check_size(len(text) * max(longest, 1), "the result of translate()")


def _check_replace(budget: RenderBudget, text: Any, old: Any, new: Any, count: Any) -> None:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.check_size(len(text) + found * max(len(new) - len(old), 0), "the result of replace()")


def _check_join(budget: RenderBudget, separator: str | bytes, items: Sequence[Any]) -> None:
    size = len(separator) * max(len(items) - 1, 0)
    for item in items:  # str.join refuses other items; Markup.join escapes their text
        size += len(item) if isinstance(item, str | bytes) else budget.text_size(item, "an item joined")
        if size > budget.limits.max_size:
            break
    budget.check_size(size, "the result of join()")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` whose fields are checked: widths and precisions, each value's text, the total."""

    _budget: RenderBudget
    _size: int

    def start(self, budget: RenderBudget) -> None:
        self._budget = budget
        self._size = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = self._budget
        for number in _DIGITS.findall(format_spec):
            _check_width(budget, int(number), "a width or precision in a format")
        budget.text_size(value, "a value formatted with format()")
        result = super().format_field(value, format_spec)
        self._size += len(result)
        budget.check_size(self._size, "the result of format()")
        return result


class _BoundedEscapeFormatter(_BoundedFormatter, EscapeFormatter):
    pass


# -------------------------------------------------------------------------------------------- filters

# Filters that turn their input into text (``str()`` of it) first.
_TEXT_FILTERS: Final = frozenset(
    {
        "capitalize",
        "center",
        "e",
        "escape",
        "forceescape",
        "format",
        "indent",
        "lower",
        "pprint",
        "replace",
        "safe",
        "string",
        "striptags",
        "title",
        "tojson",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "urlize",
        "wordcount",
        "wordwrap",
    }
)


def _text(budget: RenderBudget, value: Any) -> str:
    """``str(value)``, refused first when it would be too long."""
    if isinstance(value, str):
        return value
    budget.text_size(value, "a filter's argument")
    return str(value)


def _pre_center(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    width = args[0] if args else kwargs.get("width", 80)
    if isinstance(width, int):
        budget.check_size(max(len(_text(budget, value)), width), "the result of center")


def _pre_indent(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    width = args[0] if args else kwargs.get("width", 4)
    _check_width(budget, width if isinstance(width, int) else len(_text(budget, width)), "indent's width")
    text = _text(budget, value)
    per_line = width if isinstance(width, int) else len(_text(budget, width))
    budget.check_size(len(text) + (text.count("\n") + 1) * max(per_line, 0), "the result of indent")


def _pre_wordwrap(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    width = args[0] if args else kwargs.get("width", 79)
    wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring")
    text = _text(budget, value)
    budget.check_size(
        len(text) + (len(text) + 1) * len(_text(budget, wrap or "\n")), "the result of wordwrap"
    )
    # textwrap cuts a long word one line at a time, copying the rest each time: its square over the width.
    longest = max(map(len, text.split()), default=0)
    if isinstance(width, int) and longest * longest // max(width, 1) > _WRAP_WORK:
        raise RenderLimitExceeded(
            f"wordwrap of a {longest:,}-character word at width {width} is too much work"
        )


def _pre_replace(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    old = args[0] if args else kwargs.get("old", "")
    new = args[1] if len(args) > 1 else kwargs.get("new", "")
    count = args[2] if len(args) > 2 else kwargs.get("count")
    _check_replace(
        budget,
        _text(budget, value),
        _text(budget, old),
        _text(budget, new) * _ESCAPE_GROWTH,
        -1 if count is None else count,
    )


def _pre_join(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    items = value  # already a list: _GuardedFilter materialises it
    separator = _text(budget, args[0] if args else kwargs.get("d", ""))
    size = len(separator) * max(len(items) - 1, 0)
    for item in items:
        size += budget.text_size(item, "an item joined with join") * _ESCAPE_GROWTH
        if size > budget.limits.max_size:
            break
    budget.check_size(size, "the result of join")


def _pre_format(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    _check_printf(budget, _text(budget, value), kwargs or tuple(args))


def _pre_batch(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    count = args[0] if args else kwargs.get("linecount", 1)
    fill = args[1] if len(args) > 1 else kwargs.get("fill_with")
    if isinstance(count, int):
        budget.check_size(count, "batch's line count", "items")
        if fill is not None:
            budget.check_size(budget.text_size(fill) * count, "batch's filling")


def _pre_slice(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    count = args[0] if args else kwargs.get("slices", 1)
    if isinstance(count, int) and count > budget.limits.max_range:
        raise RenderLimitExceeded(
            f"slice of {count:,} slices is over the limit of {budget.limits.max_range:,}"
        )


def _pre_sum(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if not isinstance(start, list | tuple) and not any(isinstance(i, list | tuple) for i in value):
        return
    copied = length = len(start) if isinstance(start, list | tuple) else 0
    for item in value:  # sum() of sequences copies the running result at every step
        length += len(item) if isinstance(item, list | tuple) else 0
        copied += length
        budget.check_size(length, "the result of sum")
    budget.charge(copied)


def _pre_tojson(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    indent = args[0] if args else kwargs.get("indent")
    _check_width(budget, indent, "tojson's indent")
    size = budget.text_size(value, "a value given to tojson")
    budget.check_size(size * 6 * (1 + (indent if isinstance(indent, int) else 0)), "the result of tojson")


def _pre_urlize(budget: RenderBudget, value: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    # urlize(value, trim_url_limit, nofollow, target, rel, extra_schemes): each link repeats target and rel
    given = dict(zip(("trim_url_limit", "nofollow", "target", "rel", "extra_schemes"), args, strict=False))
    given.update(kwargs)
    extra = sum(len(_text(budget, given.get(k) or "")) for k in ("target", "rel", "extra_schemes"))
    _check_width(budget, extra, "urlize's target and rel, together")


_PRECHECKS: Final[Mapping[str, Callable[[RenderBudget, Any, list[Any], dict[str, Any]], None]]] = {
    "center": _pre_center,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "replace": _pre_replace,
    "join": _pre_join,
    "format": _pre_format,
    "batch": _pre_batch,
    "slice": _pre_slice,
    "sum": _pre_sum,
    "tojson": _pre_tojson,
    "urlize": _pre_urlize,
}
_MATERIALISED: Final = frozenset({"join", "sum"})  # their input is made a list first, to be measured


def _guard_filter(env: BoundedSandbox, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` checked before (its input's text, :data:`_PRECHECKS`) and counted after.

    The guard takes the context, which also keeps Jinja2 from running the filter at compile time on
    constant arguments (``'a'|center(999999999)`` would otherwise be computed outside any budget).
    """
    if getattr(func, "drawwatch_guarded", False):
        return func
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    precheck = _PRECHECKS.get(name)
    materialise = name in _MATERIALISED
    text_input = name in _TEXT_FILTERS

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = env.current()
        if text_input and not isinstance(value, str):
            budget.text_size(value, f"the input of {name}")
        if materialise and not isinstance(value, str):
            value = list(env.counted(value))
        if precheck is not None:
            precheck(budget, value, list(args), kwargs)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(env, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple):
            budget.charge(len(result))
        return result

    guarded.drawwatch_guarded = True  # type: ignore[attr-defined]
    # Not ``__dict__``: it holds the filter's own pass_* mark, which would replace the guard's.
    names = ("__module__", "__name__", "__qualname__", "__doc__")
    return update_wrapper(guarded, func, assigned=names, updated=())


class _GuardedFilters(dict[str, Callable[..., Any]]):
    """``env.filters`` whose every entry, including ones added later, is :func:`_guard_filter`-ed."""

    def __init__(self, env: BoundedSandbox, filters: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        self._env = env
        self.update(filters)

    def __setitem__(self, name: str, func: Callable[..., Any]) -> None:
        super().__setitem__(name, _guard_filter(self._env, name, func))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, func in dict(*args, **kwargs).items():
            self[name] = func
