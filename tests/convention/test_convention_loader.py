"""The loader rejects malformed data files and names the file at fault."""

import shutil
from pathlib import Path

import pytest

from hanoi.convention import ConventionDataError, load_convention
from hanoi.convention.loader import DATA_DIR


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_copy_of_the_bundled_data_loads(data_dir: Path) -> None:
    assert len(load_convention(data_dir).articles) == 68


def test_invalid_yaml_names_the_file(data_dir: Path) -> None:
    (data_dir / "offences.yaml").write_text("offences: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == "offences.yaml"
    assert str(caught.value).startswith("offences.yaml: not valid YAML")


def test_missing_file_names_the_file(data_dir: Path) -> None:
    (data_dir / "rules.yaml").unlink()
    with pytest.raises(ConventionDataError, match=r"^rules\.yaml: file is missing"):
        load_convention(data_dir)


def test_missing_article_is_rejected(data_dir: Path) -> None:
    path = data_dir / "articles.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "{number: 30," in line)
    path.write_text("".join(lines[:start] + lines[start + 2 :]), encoding="utf-8")
    with pytest.raises(ConventionDataError, match=r"^articles\.yaml: .*missing \[30\]"):
        load_convention(data_dir)


def test_article_in_the_wrong_chapter_is_rejected(data_dir: Path) -> None:
    _edit(data_dir / "articles.yaml", "{number: 22, chapter: III", "{number: 22, chapter: IV")
    with pytest.raises(ConventionDataError, match=r"articles\.yaml: article 22 is in chapter IV"):
        load_convention(data_dir)


def test_bad_confidence_value_is_rejected(data_dir: Path) -> None:
    _edit(data_dir / "offences.yaml", "confidence: confirmed", "confidence: probably")
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == "offences.yaml"
    assert "confidence" in caught.value.problem


def test_bad_article_reference_is_rejected(data_dir: Path) -> None:
    _edit(data_dir / "instruments.yaml", "article: Art. 42(3)(a)", "article: Art. 420(3)(a)")
    with pytest.raises(ConventionDataError, match=r"^instruments\.yaml: instruments\.0\.elements"):
        load_convention(data_dir)


def test_unknown_ground_in_an_instrument_is_rejected(data_dir: Path) -> None:
    _edit(
        data_dir / "instruments.yaml",
        "[essential-interests, discrimination]",
        "[essential-interests, political-offence]",
    )
    with pytest.raises(ConventionDataError, match="refusal ground 'political-offence'"):
        load_convention(data_dir)


def test_data_categories_must_agree_with_instruments(data_dir: Path) -> None:
    _edit(
        data_dir / "data_categories.yaml",
        "live: [interception]",
        "live: [interception, realtime-traffic]",
    )
    with pytest.raises(ConventionDataError, match=r"^instruments\.yaml: realtime-traffic"):
        load_convention(data_dir)


def test_instruments_must_be_complete(data_dir: Path) -> None:
    _edit(data_dir / "instruments.yaml", "- kind: confiscation", "- kind: extradition")
    with pytest.raises(ConventionDataError) as caught:
        load_convention(data_dir)
    assert caught.value.file == "instruments.yaml"


def test_rule_without_implementation_is_rejected(data_dir: Path) -> None:
    from hanoi.cases.check import IMPLEMENTED_RULES

    assert load_convention(data_dir, implemented_rules=IMPLEMENTED_RULES)
    path = data_dir / "rules.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  - {id: moon-phase, message: x, article: Art. 40, severity: error,"
        " confidence: unconfirmed, applies_to: '*'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConventionDataError, match=r"^rules\.yaml: no implementation.*moon-phase"):
        load_convention(data_dir, implemented_rules=IMPLEMENTED_RULES)


def test_implementation_without_rule_data_is_rejected(data_dir: Path) -> None:
    from hanoi.cases.check import IMPLEMENTED_RULES

    with pytest.raises(ConventionDataError, match=r"^rules\.yaml: implemented .*extra-check"):
        load_convention(data_dir, implemented_rules=IMPLEMENTED_RULES | {"extra-check"})


def test_duplicate_rule_id_is_rejected(data_dir: Path) -> None:
    _edit(data_dir / "rules.yaml", "- id: date-not-future", "- id: states-differ")
    with pytest.raises(ConventionDataError, match="duplicate rule id 'states-differ'"):
        load_convention(data_dir)
