"""Background tasks get record ids, never identities: a task's arguments sit in the queue's
database table (and in RQ/Redis when a deployment uses it) in clear, so a phone number, a name
or an address passed to a task would leak there."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the i4p package
FORBIDDEN = {
    "phone",
    "msisdn",
    "email",
    "mail",
    "name",
    "username",
    "address",
    "sender",
    "recipient",
    "identity",
    "contact",
    "device",
    "ip",
    "payload",
    "text",
    "body",
}

# Parameters that look like an identity but are not one, each with the reason.
NOT_AN_IDENTITY = {
    "i4p/core/tasks.py: beat(name)": "the name of a worker process, not of a person",
}


def task_modules() -> list[Path]:
    return sorted({*ROOT.rglob("tasks.py"), *ROOT.rglob("tasks/*.py")})


def _is_task(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target).split(".")[-1] == "task"


def identity_parameters(source: str, filename: str = "<tasks>") -> list[str]:
    """`function(parameter)` for every task parameter whose name suggests who someone is."""
    wrong = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(_is_task(d) for d in node.decorator_list):
            continue
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for argument in every:
            words = set(argument.arg.lower().split("_"))
            if words & FORBIDDEN:
                wrong.append(f"{node.name}({argument.arg})")
    return wrong


def test_the_rule_sees_the_task_modules() -> None:
    assert ROOT / "core" / "tasks.py" in task_modules()


def test_no_background_task_takes_an_identity_only_record_ids() -> None:
    wrong = []
    for path in task_modules():
        for found in identity_parameters(path.read_text(), str(path)):
            where = f"{path.relative_to(ROOT.parent)}: {found}"
            if where not in NOT_AN_IDENTITY:
                wrong.append(where)
    assert wrong == [], "pass a record id and read the sealed identity inside:\n" + "\n".join(wrong)


def test_the_rule_catches_a_task_that_takes_a_phone_number() -> None:
    source = (
        "from django_tasks import task\n"
        "@task()\n"
        "def send_ack(reporter_id: int, phone_number: str, *, sender_name: str = '') -> None:\n"
        "    pass\n"
        "@task\n"
        "def fine(outbound_message_id: int) -> None:\n"
        "    pass\n"
        "def not_a_task(phone: str) -> None:\n"
        "    pass\n"
    )
    assert identity_parameters(source) == ["send_ack(phone_number)", "send_ack(sender_name)"]
