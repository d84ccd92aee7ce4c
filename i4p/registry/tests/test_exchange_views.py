"""The download links and the import page (upload, preview, confirm; no JavaScript)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from i4p.accounts.middleware import SESSION_KEY
from i4p.accounts.models import User
from i4p.accounts.tests.factories import make_user
from i4p.core.models import AuditEvent
from i4p.registry.models import Actor
from i4p.registry.tests.exchange_world import PENDING_NAME, SECRET_PHONE, build_world

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


def _body(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("actors.csv", "text/csv"),
        ("relations.csv", "text/csv"),
        ("popolo.json", "application/json"),
        ("actors.geojson", "application/geo+json"),
    ],
)
def test_the_download_links_stream_each_format(fmt: str, content_type: str) -> None:
    world = build_world()
    url = reverse("registry:export", kwargs={"format": fmt})
    assert url == f"/export/{fmt}"
    response = Client().get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith(content_type)
    assert f'filename="i4p-{fmt}"' in response["Content-Disposition"]
    body = _body(response)
    assert (world.wanep.name in body) or fmt == "relations.csv"
    assert PENDING_NAME not in body and SECRET_PHONE not in body


def test_the_download_links_follow_the_directory_filters_of_the_query_string() -> None:
    world = build_world()
    url = reverse("registry:export", kwargs={"format": "popolo.json"})
    names = {
        o["name"] for o in json.loads(_body(Client().get(url, {"kind": "cso"})))["organizations"]
    }
    assert names == {world.togo_cso.name}
    names = {
        o["name"]
        for o in json.loads(
            _body(
                Client().get(
                    url, {"country": str(world.ghana.uuid), "area": str(world.northern.uuid)}
                )
            )
        )["organizations"]
    }
    assert names == {world.council.name}
    assert Client().get(url, {"level": "galactic"}).status_code == 400
    # Entries awaiting moderation only for staff who may see them.
    assert PENDING_NAME not in _body(Client().get(url, {"pending": "1"}))
    staff = _client(world.kumasi_moderator)
    assert PENDING_NAME in _body(staff.get(url, {"pending": "1"}))
    assert AuditEvent.objects.filter(action="registry.exported", by=world.kumasi_moderator).exists()


def test_an_unknown_export_format_is_not_found() -> None:
    assert Client().get("/export/actors.xlsx").status_code == 404


def test_the_import_page_previews_then_imports_after_confirmation() -> None:
    world = build_world()
    client = _client(world.kumasi_moderator)
    assert client.get(reverse("registry:import")).status_code == 200
    upload = SimpleUploadedFile(
        "new.csv",
        b"Name,Kind,Level,Admin 2\n#org +name,#org +type,#meta +level,#adm2 +code\n"
        b"Ejisu Women Mediators,cso,community,GH0201\n",
        content_type="text/csv",
    )
    preview = client.post(reverse("registry:import"), {"step": "preview", "file": upload})
    html = preview.content.decode()
    assert "would be created" in html and "Ejisu Women Mediators" in html
    assert not Actor.objects.filter(name="Ejisu Women Mediators").exists()
    digest = preview.context["confirm"]["digest"]
    done = client.post(reverse("registry:import"), {"step": "confirm", "digest": digest})
    assert "Imported" in done.content.decode()
    assert Actor.objects.filter(name="Ejisu Women Mediators").count() == 1
    # The same confirmation cannot run twice.
    again = client.post(reverse("registry:import"), {"step": "confirm", "digest": digest})
    assert 'role="alert"' in again.content.decode()
    assert Actor.objects.filter(name="Ejisu Women Mediators").count() == 1


def test_the_import_page_shows_row_problems_and_imports_nothing() -> None:
    world = build_world()
    client = _client(world.kumasi_moderator)
    upload = SimpleUploadedFile(
        "bad.csv",
        b"Name,Kind,Level,Admin 2\n#org +name,#org +type,#meta +level,#adm2 +code\n"
        b"Ejisu Women Mediators,cso,community,GH0201\n"
        b"Tamale Women Mediators,cso,community,GH0601\n",
    )
    response = client.post(reverse("registry:import"), {"step": "preview", "file": upload})
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Row 4" in html and "Tamale Metropolitan" in html
    assert "confirm" not in response.context or not response.context["confirm"]
    assert not Actor.objects.filter(name__endswith="Women Mediators").exists()


def test_the_import_page_is_closed_to_users_without_the_import_permission() -> None:
    build_world()
    assert Client().get(reverse("registry:import")).status_code == 302  # to log in
    member = make_user("plain-member")
    assert _client(member).get(reverse("registry:import")).status_code == 403
