"""Rules of the codebase that a reviewer would otherwise have to remember: import directions,
no reading of ../shared, every page string through gettext, public ids only, the licence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "i4p"

# core ← geo ← accounts ← registry ← (warning, dialogue, knowledge) ← federation;
# api and web sit on top.
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "geo": {"core", "geo"},
    "accounts": {"core", "geo", "accounts"},
    "registry": {"core", "geo", "accounts", "registry"},
    "warning": {"core", "geo", "accounts", "registry", "warning"},
    "dialogue": {"core", "geo", "accounts", "registry", "dialogue"},
    "knowledge": {"core", "geo", "accounts", "registry", "knowledge"},
    "federation": {
        "core",
        "geo",
        "accounts",
        "registry",
        "warning",
        "dialogue",
        "knowledge",
        "federation",
    },
}
# An app's own API modules (api.py, <part>_api.py) plug into the v1 router's authentication
# helpers.
API_MODULES = {"api.py", "schemas.py"}


def product_modules() -> list[Path]:
    return [
        p for p in PACKAGE.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts
    ]


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "i4p" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_apps_import_only_in_the_allowed_directions() -> None:
    wrong = []
    for path in product_modules():
        relative = path.relative_to(PACKAGE)
        app = relative.parts[0]
        if app not in ALLOWED:
            continue  # api, web and the cli sit on top and may import any app
        allowed = set(ALLOWED[app])
        if path.name in API_MODULES or path.name.endswith("_api.py"):
            allowed.add("api")
        for target in imported_apps(path) - allowed:
            wrong.append(f"{relative} imports i4p.{target}")
    assert wrong == [], "imports against docs/architecture.md:\n" + "\n".join(sorted(wrong))


def test_the_product_never_reads_the_shared_folder() -> None:
    offenders = []
    for path in [*product_modules(), *(ROOT / "config").glob("*.py")]:
        if re.search(r"""["'][^"']*\.\./shared|["']/work/shared|SHARED""", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


_BLOCKS = re.compile(
    r"{%\s*(?:blocktranslate|blocktrans)\b.*?{%\s*(?:endblocktranslate|endblocktrans)\s*%}"
    r"|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|<script\b.*?</script>|<style\b.*?</style>|<code\b.*?</code>",
    re.S,
)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}|<[^>]*>", re.S)
_ENTITIES = re.compile(r"&[a-z]+;|&#\d+;")


def untranslated_text(template: str) -> list[str]:
    text = _BLOCKS.sub(" ", template)
    text = _TAGS.sub(" ", text)
    text = _ENTITIES.sub(" ", text)
    return [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in {"i4p"}]


def templates() -> list[Path]:
    return sorted(PACKAGE.rglob("templates/**/*.html"))


def test_templates_exist() -> None:
    assert len(templates()) >= 5


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_word_on_a_page_goes_through_gettext(path: Path) -> None:
    assert untranslated_text(path.read_text()) == [], (
        f"{path.relative_to(ROOT)} has text outside {{% translate %}}"
    )


def test_the_detector_of_untranslated_text_finds_some() -> None:
    assert untranslated_text("<p>{% translate 'Hello' %} world</p>") == ["world"]
    assert untranslated_text("<p>{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}</p>") == []


def test_the_api_never_exposes_integer_ids() -> None:
    from i4p.api.router import api

    schemas = api.get_openapi_schema(path_prefix="/api/v1/").get("components", {})
    offenders = []
    for name, schema in schemas.get("schemas", {}).items():
        for prop, spec in schema.get("properties", {}).items():
            if prop == "id" or (prop.endswith("_id") and spec.get("type") == "integer"):
                offenders.append(f"{name}.{prop}")
    assert offenders == []


def test_the_licence_is_agpl_3_or_later() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in text and "AGPL-3.0-or-later" in text
    assert 'license = "AGPL-3.0-or-later"' in (ROOT / "pyproject.toml").read_text()


def _atomic_services() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(PACKAGE.rglob("services.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and any("atomic" in ast.unparse(d) for d in node.decorator_list)
            ):
                found.append((f"{path.relative_to(PACKAGE)}:{node.name}", node))
    return found


def test_every_write_service_records_an_audit_event() -> None:
    services = _atomic_services()
    assert len(services) >= 20  # the sweep sees the real services
    silent = [
        name
        for name, node in services
        if not any(
            isinstance(call, ast.Call) and ast.unparse(call.func).endswith("record_event")
            for call in ast.walk(node)
        )
    ]
    assert silent == [], f"services that write without an audit row: {silent}"


@pytest.mark.django_db
def test_the_audit_log_refuses_changes_and_deletions() -> None:
    from i4p.core.audit import record_event
    from i4p.core.models import AppendOnlyError, AuditEvent

    event = record_event(None, "test.happened", by=None, fields=["name"])
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).note == ""
