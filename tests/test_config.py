"""A node's home is owner-only and its secret key appears whole, once, with mode 0600."""

from __future__ import annotations

import os
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from hanoi.config import ConfigError, Settings, load_settings

# Under the common default umask, new files would be group- and world-readable.
pytestmark = pytest.mark.usefixtures("loose_umask")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(home: Path) -> Settings:
    return load_settings(home=home, database_url="sqlite:///:memory:")


def test_ensure_home_creates_an_owner_only_directory(tmp_path: Path) -> None:
    home = tmp_path / "a" / "b" / "node"
    assert _settings(home).ensure_home() == home
    assert home.is_dir()
    assert _mode(home) == 0o700


@pytest.mark.parametrize("loose", [0o755, 0o750, 0o701, 0o777])
def test_ensure_home_tightens_an_accessible_home(tmp_path: Path, loose: int) -> None:
    home = tmp_path / "node"
    home.mkdir()
    os.chmod(home, loose)
    _settings(home).ensure_home()
    assert _mode(home) == 0o700


def test_ensure_home_leaves_a_private_home_as_it_is(tmp_path: Path) -> None:
    home = tmp_path / "node"
    home.mkdir()
    os.chmod(home, 0o500)  # stricter than 0700: the operator's choice
    try:
        _settings(home).ensure_home()
        assert _mode(home) == 0o500
    finally:
        os.chmod(home, 0o700)


def test_ensure_home_refuses_a_file(tmp_path: Path) -> None:
    home = tmp_path / "node"
    home.write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        _settings(home).ensure_home()


def test_secret_key_is_made_once_with_owner_only_access(tmp_path: Path) -> None:
    home = tmp_path / "node"
    settings = _settings(home)
    key = settings.secret_key()
    assert len(key) == 64
    int(key, 16)  # hex
    assert settings.secret_key() == key
    assert _settings(home).secret_key() == key
    assert _mode(settings.secret_key_path) == 0o600
    assert _mode(home) == 0o700
    assert sorted(p.name for p in home.iterdir()) == ["secret.key"]  # no temporary left


def test_secret_key_tightens_a_loose_home_and_key_file(tmp_path: Path) -> None:
    home = tmp_path / "node"
    home.mkdir(mode=0o755)
    key_file = home / "secret.key"
    key_file.write_text("ab" * 32 + "\n")
    os.chmod(key_file, 0o644)
    assert _settings(home).secret_key() == b"ab" * 32
    assert (_mode(home), _mode(key_file)) == (0o700, 0o600)


@pytest.mark.parametrize("content", ["", "\n", "abc123", "f" * 63 + "\n"])
def test_short_secret_key_is_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    home = tmp_path / "node"
    home.mkdir()
    (home / "secret.key").write_text(content)
    with pytest.raises(ValueError, match="at least 64") as caught:
        _settings(home).secret_key()
    assert str(home / "secret.key") in str(caught.value)


def test_key_is_complete_and_private_before_it_gets_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    real_link = os.link

    def watching_link(src: str | Path, dst: str | Path) -> None:
        seen.append((Path(src).read_text(), _mode(Path(src))))
        real_link(src, dst)

    monkeypatch.setattr(os, "link", watching_link)
    key = _settings(tmp_path / "node").secret_key()
    assert seen == [(key.decode(), 0o600)]


def test_a_key_made_meanwhile_by_another_process_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "node"
    theirs = "cd" * 32
    real_link = os.link

    def racing_link(src: str | Path, dst: str | Path) -> None:
        Path(dst).write_text(theirs)  # the other process linked its key first
        real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    assert _settings(home).secret_key() == theirs.encode()
    assert sorted(p.name for p in home.iterdir()) == ["secret.key"]


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    home = tmp_path / "node"
    start = threading.Barrier(8)
    keys: list[bytes] = []
    failures: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            keys.append(_settings(home).secret_key())
        except BaseException as exc:  # surfaced below; a thread cannot fail the test
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(keys) == 8 and len(set(keys)) == 1
    assert sorted(p.name for p in home.iterdir()) == ["secret.key"]


def test_audit_key_is_derived_from_the_secret_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "node")
    audit_key = settings.audit_key()
    assert len(audit_key) == 32
    assert audit_key == _settings(tmp_path / "node").audit_key()
    assert audit_key not in settings.secret_key()
    assert _settings(tmp_path / "other").audit_key() != audit_key


def test_load_settings_defaults_to_sqlite_in_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HANOI_DATABASE_URL", raising=False)
    monkeypatch.setenv("HANOI_HOME", str(tmp_path / "env-home"))
    settings = load_settings()
    assert settings.home == tmp_path / "env-home"
    assert settings.database_url == f"sqlite:///{tmp_path / 'env-home' / 'hanoi.db'}"
    assert not settings.home.exists()  # loading settings writes nothing


def _ledger_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("HANOI_LEDGER_QUORUM", "HANOI_LEDGER_WITNESSES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(home="/nowhere", database_url="sqlite:///:memory:")


def test_ledger_quorum_and_witnesses_default_to_two_of_every_other_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _ledger_settings(monkeypatch)
    assert (settings.ledger_quorum, settings.ledger_witnesses) == (2, None)
    chosen = _ledger_settings(
        monkeypatch, HANOI_LEDGER_QUORUM="3", HANOI_LEDGER_WITNESSES=" XB, XC ,XD"
    )
    assert (chosen.ledger_quorum, chosen.ledger_witnesses) == (3, ("XB", "XC", "XD"))
    one = _ledger_settings(monkeypatch, HANOI_LEDGER_WITNESSES="XB")
    assert (one.ledger_quorum, one.ledger_witnesses) == (1, ("XB",))  # default lowered
    none = _ledger_settings(monkeypatch, HANOI_LEDGER_QUORUM="0")
    assert none.ledger_quorum == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HANOI_LEDGER_QUORUM": "two"}, "a whole number from 0 to 50"),
        ({"HANOI_LEDGER_QUORUM": "-1"}, "a whole number from 0 to 50"),
        ({"HANOI_LEDGER_QUORUM": "51"}, "a whole number from 0 to 50"),
        ({"HANOI_LEDGER_QUORUM": "\u00b2"}, "a whole number from 0 to 50"),  # a digit to isdigit()
        ({"HANOI_LEDGER_WITNESSES": "XB,xc"}, "'xc' is not a State code"),
        ({"HANOI_LEDGER_WITNESSES": "XB,,XC"}, "'' is not a State code"),
        ({"HANOI_LEDGER_WITNESSES": "XB,XB"}, "names a State twice"),
        ({"HANOI_LEDGER_QUORUM": "2", "HANOI_LEDGER_WITNESSES": "XB"}, "cannot be reached"),
    ],
)
def test_bad_ledger_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _ledger_settings(monkeypatch, **env)


def _evidence_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS", "HANOI_EVIDENCE_SPACE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(home="/nowhere", database_url="sqlite:///:memory:")


def test_evidence_uploads_expire_after_two_days_and_no_space_limit_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _evidence_settings(monkeypatch)
    assert settings.evidence_upload_expiry == timedelta(hours=48)
    assert settings.evidence_space_limit is None
    chosen = _evidence_settings(
        monkeypatch, HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS="6", HANOI_EVIDENCE_SPACE_LIMIT="500G"
    )
    assert chosen.evidence_upload_expiry == timedelta(hours=6)
    assert chosen.evidence_space_limit == 500 * 1024**3
    assert _evidence_settings(monkeypatch, HANOI_EVIDENCE_SPACE_LIMIT="0").evidence_space_limit == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS": "0"}, "hours from 1 to 720"),
        ({"HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS": "721"}, "hours from 1 to 720"),
        ({"HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS": "1.5"}, "hours from 1 to 720"),
        ({"HANOI_EVIDENCE_SPACE_LIMIT": "-1"}, "K, M, G or T"),
        ({"HANOI_EVIDENCE_SPACE_LIMIT": "10GB"}, "K, M, G or T"),
        ({"HANOI_EVIDENCE_SPACE_LIMIT": "\u00b2"}, "K, M, G or T"),
    ],
)
def test_bad_evidence_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _evidence_settings(monkeypatch, **env)


def _refusal_interval(monkeypatch: pytest.MonkeyPatch, raw: str | None) -> timedelta:
    if raw is None:
        monkeypatch.delenv("HANOI_AUDIT_REFUSAL_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("HANOI_AUDIT_REFUSAL_INTERVAL", raw)
    settings = load_settings(home="/nowhere", database_url="sqlite:///:memory:")
    return settings.audit_refusal_interval


def test_audit_refusal_interval_defaults_to_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _refusal_interval(monkeypatch, None) == timedelta(seconds=60)
    assert _refusal_interval(monkeypatch, " ") == timedelta(seconds=60)
    assert _refusal_interval(monkeypatch, "300") == timedelta(minutes=5)
    assert _refusal_interval(monkeypatch, "1") == timedelta(seconds=1)


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "sixty", "86401", "\u00b2"])
def test_bad_audit_refusal_interval_is_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    with pytest.raises(ConfigError, match=r"HANOI_AUDIT_REFUSAL_INTERVAL.*1 to 86400"):
        _refusal_interval(monkeypatch, raw)


def test_http_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANOI_HTTP_HEADER_TIMEOUT", "3")
    monkeypatch.setenv("HANOI_HTTP_MAX_CONNECTIONS", " 40 ")
    monkeypatch.setenv("HANOI_FORWARDED_ALLOW_IPS", "127.0.0.1, 10.1.0.0/16, ::1")
    settings = load_settings("home")
    assert settings.http.header_timeout == 3 and settings.http.max_connections == 40
    assert settings.http.body_timeout == 60  # the default
    assert settings.forwarded_allow_ips == ("127.0.0.1/32", "10.1.0.0/16", "::1/128")
    assert (settings.letter_max_pages, settings.letter_time_limit) == (100, 30)  # defaults


def test_no_proxy_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANOI_FORWARDED_ALLOW_IPS", raising=False)
    assert load_settings("home").forwarded_allow_ips == ()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HANOI_HTTP_HEADER_TIMEOUT", "0"),
        ("HANOI_HTTP_BODY_TIMEOUT", "1.5"),
        ("HANOI_HTTP_MAX_CONNECTIONS", "²"),
        ("HANOI_HTTP_MAX_HEADER_BYTES", "100"),
        ("HANOI_LETTER_MAX_PAGES", "0"),
        ("HANOI_LETTER_TIME_LIMIT", "601"),
        ("HANOI_FORWARDED_ALLOW_IPS", "*"),
        ("HANOI_FORWARDED_ALLOW_IPS", "proxy.example"),
    ],
)
def test_unusable_http_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings("home")
    assert variable in str(caught.value)
