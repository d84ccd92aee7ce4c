"""`i4p export_actors` and `i4p import_actors`: files out, files in, a non-zero exit on problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from i4p.core.models import AuditEvent
from i4p.registry.models import Actor
from i4p.registry.tests.exchange_world import PENDING_NAME, build_world, registry_fingerprint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["hxl", "hxl-relations", "popolo", "geojson"])
def test_export_actors_writes_each_format_to_a_file(fmt: str, tmp_path: Path) -> None:
    world = build_world()
    out = tmp_path / "export"
    call_command("export_actors", "--format", fmt, "--output", str(out))
    text = out.read_text(encoding="utf-8")
    assert world.wanep.name in text
    assert PENDING_NAME not in text  # without --as, the public's view
    if fmt in ("popolo", "geojson"):
        json.loads(text)


def test_export_actors_as_a_user_includes_what_that_user_may_see(tmp_path: Path) -> None:
    world = build_world()
    out = tmp_path / "actors.csv"
    call_command(
        "export_actors",
        "--as",
        world.kumasi_moderator.username,
        "--include-pending",
        "--place",
        "GH0201",
        "--output",
        str(out),
    )
    text = out.read_text(encoding="utf-8")
    assert PENDING_NAME in text and world.lpc.name in text
    assert world.council.name not in text
    assert AuditEvent.objects.filter(action="registry.exported", by=world.kumasi_moderator).exists()


def test_import_actors_round_trips_an_export_without_changes(tmp_path: Path) -> None:
    world = build_world()
    out = tmp_path / "popolo.json"
    call_command("export_actors", "--format", "popolo", "--output", str(out))
    before = registry_fingerprint()
    call_command("import_actors", str(out), "--as", world.admin.username)
    assert registry_fingerprint() == before


def test_import_actors_lists_the_problems_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Name,Kind,Level\n#org +name,#org +type,#meta +level\n"
        "Good Group,cso,national\nBad Group,spaceship,national\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_actors", str(bad), "--as", world.admin.username)
    assert "Row 4, Kind (#org +type)" in capsys.readouterr().err
    assert not Actor.objects.filter(name="Good Group").exists()


def test_import_actors_dry_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world()
    good = tmp_path / "good.csv"
    good.write_text(
        "Name,Kind,Level,Country\n#org +name,#org +type,#meta +level,#country +code\n"
        "Good Group,cso,national,GH\n",
        encoding="utf-8",
    )
    call_command("import_actors", str(good), "--as", world.admin.username, "--dry-run")
    assert "1 would be created" in capsys.readouterr().out
    assert not Actor.objects.filter(name="Good Group").exists()
    call_command("import_actors", str(good), "--as", world.admin.username)
    assert Actor.objects.filter(name="Good Group").count() == 1


def test_the_i4p_command_exits_non_zero_when_an_import_has_problems(tmp_path: Path) -> None:
    build_world()
    bad = tmp_path / "bad.csv"
    bad.write_text("just,a,csv\n1,2,3\n", encoding="utf-8")
    from i4p.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["import_actors", str(bad), "--as", "exchange-admin"])
    assert exit_.value.code != 0
