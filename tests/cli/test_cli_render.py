"""`hanoi request render`: the formal letter as HTML or PDF, in the six UN languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hanoi.convention import get_convention
from tests.cli.test_cli import Cmd, Run, example, expect, expect_usage_error, hanoi_many

HTML_KINDS = ("preservation", "police-information")


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    cwd = tmp_path_factory.mktemp("render")
    for kind in HTML_KINDS:
        (cwd / f"{kind}.json").write_text(json.dumps(example(kind)), encoding="utf-8")
    (cwd / "kept.html").write_bytes(b"<p>an earlier letter</p>")
    (cwd / "broken.json").write_bytes(b'{"kind": "preservation", "urgent": "yes"}')

    render = ("request", "render")
    commands = {
        f"{kind} en html": Cmd((*render, f"{kind}.json", "-o", f"{kind}.en.html"))
        for kind in HTML_KINDS
    }
    commands |= {
        "fr html": Cmd((*render, "preservation.json", "--lang", "fr", "-o", "fr.html")),
        "fr pdf": Cmd(
            (*render, "preservation.json", "--lang", "fr", "--format", "pdf", "-o", "fr.pdf")
        ),
        "ar pdf": Cmd(
            (*render, "preservation.json", "--lang", "ar", "--format", "pdf", "-o", "ar.pdf")
        ),
        "zh html": Cmd((*render, "preservation.json", "--lang", "zh", "-o", "zh.html")),
        "ar html": Cmd((*render, "preservation.json", "--lang", "ar", "-o", "ar.html")),
        "bilingual pdf": Cmd(
            (
                *render,
                *("preservation.json", "--lang", "en", "--bilingual", "ar"),
                *("--format", "pdf", "-o", "en-ar.pdf"),
            )
        ),
        "bilingual html": Cmd(
            (*render, "preservation.json", "--lang", "fr", "--bilingual", "zh", "-o", "fr-zh.html")
        ),
        "bilingual same": Cmd(
            (*render, "preservation.json", "--lang", "es", "--bilingual", "es", "-o", "es.html")
        ),
        "bilingual bad": Cmd((*render, "preservation.json", "--bilingual", "xx", "-o", "xx2.html")),
        "bad lang": Cmd((*render, "preservation.json", "--lang", "xx", "-o", "xx.html")),
        "exists": Cmd((*render, "preservation.json", "-o", "kept.html")),
        "broken document": Cmd((*render, "broken.json", "-o", "broken.html")),
    }
    return cwd, hanoi_many(cwd, commands)


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_html_letter_cites_the_instrument_article(
    letters: tuple[Path, dict[str, Run]], kind: str
) -> None:
    cwd, runs = letters
    expect(runs[f"{kind} en html"], 0)
    html = (cwd / f"{kind}.en.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    number = get_convention().instrument(kind).article.article
    assert f"Article {number} " in html
    assert example(kind)["reference"] in html


def test_french_letter_differs_from_english(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    expect(runs["fr html"], 0)
    english = (cwd / "preservation.en.html").read_text(encoding="utf-8")
    french = (cwd / "fr.html").read_text(encoding="utf-8")
    assert french != english
    assert '<html lang="fr"' in french
    assert '<html lang="en"' in english
    assert "article 42" in french.lower()


def test_pdf_letter_is_a_pdf(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    expect(runs["fr pdf"], 0)
    pdf = (cwd / "fr.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert b"%%EOF" in pdf[-1024:]


def test_arabic_letter_is_right_to_left_and_chinese_simplified(
    letters: tuple[Path, dict[str, Run]],
) -> None:
    cwd, runs = letters
    expect(runs["ar html"], 0)
    expect(runs["zh html"], 0)
    arabic = (cwd / "ar.html").read_text(encoding="utf-8")
    chinese = (cwd / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "اتفاقية الأمم المتحدة لمكافحة الجريمة السيبرانية" in arabic
    assert '<html lang="zh-Hans" dir="ltr">' in chinese
    assert "《联合国打击网络犯罪公约》第42条" in chinese


def test_arabic_pdf_letter_is_a_pdf(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    run = expect(runs["ar pdf"], 0)
    assert "ar letter" in run.out
    assert (cwd / "ar.pdf").read_bytes().startswith(b"%PDF-")


def test_unknown_language_is_a_usage_error(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    run = expect(runs["bad lang"], 2)
    assert "--lang" in run.err, run
    assert run.out == "", run
    assert not (cwd / "xx.html").exists()


def test_render_refuses_to_overwrite_without_force(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    expect_usage_error(runs["exists"], "kept.html", "--force")
    assert (cwd / "kept.html").read_bytes() == b"<p>an earlier letter</p>"


def test_render_of_an_unusable_document_writes_nothing(
    letters: tuple[Path, dict[str, Run]],
) -> None:
    cwd, runs = letters
    expect_usage_error(runs["broken document"], "urgent")
    assert not (cwd / "broken.html").exists()


def test_bilingual_letter_holds_both_versions(letters: tuple[Path, dict[str, Run]]) -> None:
    cwd, runs = letters
    assert "fr and zh letter" in expect(runs["bilingual html"], 0).out
    page = (cwd / "fr-zh.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in page
    assert '<article class="sheet" lang="fr" dir="ltr">' in page
    assert '<article class="sheet" lang="zh-Hans" dir="ltr">' in page
    assert "établie en français et en chinois" in page
    assert "以法语和中文两种语文提出" in page
    expect(runs["bilingual pdf"], 0)
    assert (cwd / "en-ar.pdf").read_bytes().startswith(b"%PDF-")


def test_bilingual_letter_needs_a_second_supported_language(
    letters: tuple[Path, dict[str, Run]],
) -> None:
    cwd, runs = letters
    expect_usage_error(runs["bilingual same"], "--bilingual")
    assert not (cwd / "es.html").exists()
    run = expect(runs["bilingual bad"], 2)
    assert "--bilingual" in run.err, run
    assert not (cwd / "xx2.html").exists()
