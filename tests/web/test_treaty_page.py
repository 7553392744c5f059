"""/treaty, /treaty.json, /treaty.csv and /treaty/progress.svg: the Convention's status on a
node, counted from its record, in the six languages, and the same as `hanoi treaty status`."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from hanoi.directory.repository import SecretariatRepository
from hanoi.node import create_node
from hanoi.treaty.groups import REGIONAL_GROUPS, load_regional_groups
from hanoi.treaty.record import TreatyRecordError, save_record
from tests.cli.test_cli import expect, hanoi
from tests.i18n.scan import english_left
from tests.treaty.histories import HANOI, SOURCE, record, row, state

AS_OF = "2026-03-01"
PRESS = "https://press.example.org/signing"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The home of the ``client`` fixture's node (tests/web/conftest.py)."""
    return tmp_path / "node"


@pytest.fixture
def kept(home: Path) -> Path:
    """A record the Secretariat keeps on this node: France signed and ratified, Germany
    signed, Kenya signed by a press report, the European Union signed and approved; the
    depositary's count says 5 signatories where the list names 4."""
    path = home / "secretariat" / "treaty" / "record.yaml"
    path.parent.mkdir(parents=True)
    constructed = record(
        [
            state("FR", row("signature", HANOI), row("ratification", date(2026, 1, 15))),
            state("DE", row("signature", HANOI)),
            state(
                "KE",
                row("signature", date(2025, 10, 26), source=PRESS, confidence="unconfirmed"),
            ),
            state(
                "EU",
                row("signature", HANOI),
                row("approval", date(2026, 2, 1)),
                name="European Union",
                reio=True,
                members=["FR", "DE"],
                members_source="https://european-union.europa.eu/principles/countries",
            ),
            # A deposit after the day asked about: not shown, not counted.
            state("JP", row("signature", date(2026, 4, 1))),
        ],
        reported=[
            {"of": "signatories", "count": 5, "source": SOURCE, "confidence": "confirmed"},
        ],
    )  # fmt: skip
    save_record(constructed, path)
    return path


def test_the_page_counts_the_nodes_record_and_says_where_the_count_disagrees(
    client: TestClient, kept: Path
) -> None:
    html = client.get(f"/treaty?as-of={AS_OF}").text
    inline = re.sub(r"</?(bdi|small)>", "", html)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())
    assert "Signatories listed in the record 4 (3 of them confirmed by the depositary)" in text
    assert (
        "Signatories, as the depositary counts them 5 This count and the record's list "
        "disagree: the record names 4 signatories" in text
    )
    # France's ratification counts; the EU's approval does not (Art. 65(1)).
    assert "1 of the 40 needed (Art. 65(1)); 1 of them on rows the depositary confirms." in text
    assert "Parties bound on this day 0" in text
    assert "Shown from the Secretariat's working copy of the record." in text
    # The chart, in the page's language and for the same day.
    assert f'<img src="/treaty/progress.svg?as-of={AS_OF}"' in html
    # The timeline, by day; Kenya's row marked unconfirmed.
    assert "25 October 2025 Signed: European Union, France and Germany" in text
    assert "26 October 2025 Signed: Kenya (unconfirmed)" in text
    assert "15 January 2026 Ratified: France" in text
    assert "1 February 2026 Approved: European Union" in text
    assert "Japan" not in text  # signs after the day asked about
    # By regional group: France and Germany in WEOG, Kenya African, the EU in none.
    groups = _table_rows(html, "treaty-groups")
    assert groups["Western European and other States"] == ["29", "2", "1", "0"]
    assert groups["African States"] == ["54", "1", "0", "0"]
    assert groups["Not listed"] == ["–", "1", "1", "0"]
    # Each State's rows with their sources and confidence.
    kenya = re.search(r'<tbody id="state-KE">(.*?)</tbody>', html, re.S)
    assert kenya is not None
    assert f'href="{PRESS}"' in kenya.group(1) and "unconfirmed" in kenya.group(1)
    france = re.search(r'<tbody id="state-FR">(.*?)</tbody>', html, re.S)
    assert france is not None and "<code>C.N.196.2025.TREATIES-XVIII.16</code>" in france.group(1)


def _table_rows(html: str, css_class: str) -> dict[str, list[str]]:
    table = re.search(rf'<table class="{css_class}">(.*?)</table>', html, re.S)
    assert table is not None
    rows = {}
    for found in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [
            " ".join(unescape(c).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize(
    ("lang", "day"),
    [("ar", "25 أكتوبر 2025"), ("zh", "2025年10月25日"), ("ru", "25 октября 2025\u202fг.")],
)
def test_the_page_speaks_the_language_asked_for(
    client: TestClient, kept: Path, lang: str, day: str
) -> None:
    response = client.get(f"/treaty?as-of={AS_OF}", headers={"Accept-Language": lang})
    html = response.text
    assert response.headers["content-language"] == lang
    assert english_left(html, lang) == []
    assert ('dir="rtl"' in html) is (lang == "ar")
    assert day in unescape(html)
    # States by their names in the language (the locale's, for real codes).
    france = {"ar": "فرنسا", "zh": "法国", "ru": "Франция"}[lang]
    assert f"<bdi>{france}</bdi>" in html


def test_the_shipped_record_on_a_real_node_says_the_depositarys_count_disagrees(
    client: TestClient,
) -> None:
    data = client.get("/treaty.json?as-of=2026-12-08").json()
    assert data["record"] == "shipped" and data["fictional"] is False
    depositary = [c for c in data["signatories"]["reported"] if c["confidence"] == "confirmed"]
    assert depositary[0]["count"] == 72 and depositary[0]["agrees_with_list"] is False
    html = client.get("/treaty?as-of=2026-12-08").text
    assert "This count and the record's list disagree" in unescape(html)


def test_a_demo_node_shows_the_fictional_record(client: TestClient, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    create_node(home, state="XA", name="Arcadia node", url="http://127.0.0.1:8401")
    data = client.get("/treaty.json?as-of=2026-12-08").json()
    assert data["record"] == "demo" and data["fictional"] is True
    assert data["in_force"] is True and data["entry_into_force"]["date"] == "2026-06-08"
    html = client.get("/treaty?as-of=2026-12-08").text
    assert "Fictional demo record." in html
    assert "In force since 8 June 2026." in html
    assert "<bdi>Arcadia</bdi>" in html  # the demo fixture's name for XA


def test_a_secretariat_shows_the_demo_record_only_when_its_states_are_fictional(
    client: TestClient, home: Path
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    repo = SecretariatRepository.init(home / "secretariat")
    repo.add_state("XA", [Ed25519PrivateKey.generate().public_key()])
    assert client.get("/treaty.json").json()["record"] == "demo"
    repo.add_state("FR", [Ed25519PrivateKey.generate().public_key()])
    assert client.get("/treaty.json").json()["record"] == "shipped"


def test_the_json_is_the_status_the_cli_prints_and_more(
    client: TestClient, kept: Path, tmp_path: Path
) -> None:
    page = client.get(f"/treaty.json?as-of={AS_OF}")
    assert page.headers["content-type"] == "application/json"
    data = page.json()
    run = expect(
        hanoi(tmp_path, "treaty", "status", "--record", str(kept), "--as-of", AS_OF, "--json"), 0
    )
    cli = json.loads(run.out)
    assert data["record"] == "secretariat"
    assert {k: v for k, v in data.items() if k in cli and k != "record"} == {
        k: v for k, v in cli.items() if k != "record"
    }
    assert data["signatories"]["listed"] == 4 and data["instruments"]["counted"] == 1
    rows = {r["group"]: r for r in data["regional_groups"]["rows"]}
    assert rows["western-european-other"]["signatories"] == 2
    assert rows["not-listed"] == {
        "group": "not-listed", "size": None, "signatories": 1, "instruments": 1, "parties": 0,
    }  # fmt: skip
    assert data["regional_groups"]["source"].startswith("https://www.un.org/dgacm/")
    kenya = next(s for s in data["states"] if s["code"] == "KE")
    assert kenya["regional_group"] == "african"
    assert kenya["actions"] == [
        {"kind": "signature", "date": "2025-10-26", "source": PRESS, "confidence": "unconfirmed"}
    ]
    assert data["progress"][-1] == {"date": AS_OF, "signatories": 4, "instruments": 1}


def test_the_csv_has_one_line_per_row_with_its_source(client: TestClient, kept: Path) -> None:
    response = client.get(f"/treaty.csv?as-of={AS_OF}")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="treaty-status-{AS_OF}.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["state"], r["action"], r["date"]) for r in lines] == [
        ("DE", "signature", "2025-10-25"),
        ("EU", "signature", "2025-10-25"),
        ("EU", "approval", "2026-02-01"),
        ("FR", "signature", "2025-10-25"),
        ("FR", "ratification", "2026-01-15"),
        ("KE", "signature", "2025-10-26"),
    ]
    kenya = lines[-1]
    assert kenya["source"] == PRESS and kenya["confidence"] == "unconfirmed"
    assert kenya["regional_group"] == "african" and kenya["name"] == "State KE"
    assert lines[1]["regional_group"] == "not-listed"


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "Progress toward the 40 instruments needed for entry into force"),
        ("zh", "距生效所需40份文书的进展"),
        ("ar", "التقدم نحو الصكوك الأربعين اللازمة لبدء النفاذ"),
    ],
)
def test_the_chart_is_svg_titled_in_the_language(
    client: TestClient, kept: Path, lang: str, title: str
) -> None:
    response = client.get(f"/treaty/progress.svg?as-of={AS_OF}", headers={"Accept-Language": lang})
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-language"] == lang
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    assert root.findtext(f"{SVG}title") == title
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert title in texts  # drawn as text, for the browser to shape and a report to search
    assert "<script" not in response.text


def test_every_page_links_to_the_status_page(client: TestClient) -> None:
    assert '<a href="/treaty">Status of the Convention</a>' in client.get("/glossary").text


def test_the_regional_groups_are_data_with_their_source(tmp_path: Path) -> None:
    groups = load_regional_groups()
    assert len(groups.members) == 193  # the UN's Member States
    assert groups.group_of("NO") is not None  # Norway, not YAML's false
    assert groups.group_of("NO").group == "western-european-other"  # type: ignore[union-attr]
    assert groups.group_of("US").confidence == "unconfirmed"  # type: ignore[union-attr]
    assert groups.group_of("EU") is None and groups.group_of("PS") is None
    assert [groups.size(g) for g in groups.names] == [54, 54, 23, 33, 29]
    twice = tmp_path / "groups.yaml"
    twice.write_text(REGIONAL_GROUPS.read_text().replace("[DZ, ", "[FR, DZ, "))
    with pytest.raises(TreatyRecordError, match="FR in two groups"):
        load_regional_groups(twice)
    unquoted = tmp_path / "unquoted.yaml"
    unquoted.write_text(REGIONAL_GROUPS.read_text().replace("'NO'", "NO"))
    with pytest.raises(TreatyRecordError):
        load_regional_groups(unquoted)


def test_the_api_serves_the_same_status_documented_for_case_management_systems(
    client: TestClient, kept: Path
) -> None:
    api = client.get(f"/api/v1/treaty/status?as-of={AS_OF}")
    assert api.status_code == 200  # public, like the page: no token needed
    assert api.json() == client.get(f"/treaty.json?as-of={AS_OF}").json()
    assert api.json()["record"] == "secretariat"
    operation = client.get("/api/openapi.json").json()["paths"]["/api/v1/treaty/status"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["as-of"]
    assert "Art. 65(1)" in operation["description"]
    for day in ("not-a-day", "2026-02-30", "0"):
        refused = client.get(f"/api/v1/treaty/status?as-of={day}")
        assert refused.status_code == 422, day
        assert refused.headers["content-type"].startswith("application/problem+json")
