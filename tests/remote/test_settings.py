"""Settings from the config file and the environment: the environment wins, and a bad value is
one line naming the variable and what to set, never showing the key."""

from __future__ import annotations

import pytest

from prebundle.errors import PrebundleError
from prebundle.remote import RemoteConfigError, RemoteSettings

KEY = "s3cr3t-team-key-0123456789"


def test_defaults_without_environment():
    assert RemoteSettings.from_env({}) == RemoteSettings(url="")
    settings = RemoteSettings.from_env({}, url="redis://cache:6379/0", read_only=True, timeout=5,
                                       require_signature=False)
    assert settings == RemoteSettings(url="redis://cache:6379/0", read_only=True, timeout=5)


def test_the_environment_wins_over_the_config():
    environ = {
        "PREBUNDLE_REMOTE_CACHE": "http://dav.internal:8080/cache",
        "PREBUNDLE_REMOTE_CACHE_MODE": "read-only",
        "PREBUNDLE_REMOTE_CACHE_TIMEOUT": "0.5",
        "PREBUNDLE_REMOTE_CACHE_KEY": KEY,
        "PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE": "true",
    }
    settings = RemoteSettings.from_env(environ, url="redis://cache:6379/0", read_only=False, timeout=5)
    assert settings == RemoteSettings(url="http://dav.internal:8080/cache", read_only=True, timeout=0.5,
                                      signing_key=KEY.encode(), require_signature=True)


def test_read_write_mode_overrides_a_read_only_config():
    settings = RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE_MODE": "Read-Write"}, url="file:///x", read_only=True)
    assert settings.read_only is False


@pytest.mark.parametrize("value", ["", "off", "OFF", "0", "false", "none"])
def test_the_environment_turns_a_configured_remote_off(value):
    assert RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE": value}, url="redis://cache/0").url == ""


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("PREBUNDLE_REMOTE_CACHE_MODE", "readonly", "set read-write or read-only"),
    ("PREBUNDLE_REMOTE_CACHE_TIMEOUT", "soon", "positive number of seconds"),
    ("PREBUNDLE_REMOTE_CACHE_TIMEOUT", "0", "positive number of seconds"),
    ("PREBUNDLE_REMOTE_CACHE_TIMEOUT", "-1", "positive number of seconds"),
    ("PREBUNDLE_REMOTE_CACHE_TIMEOUT", "inf", "positive number of seconds"),
    ("PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE", "maybe", "set 1 or 0"),
])
def test_bad_values_say_which_variable_and_what_to_set(variable, value, expected):
    with pytest.raises(RemoteConfigError) as raised:
        RemoteSettings.from_env({variable: value, "PREBUNDLE_REMOTE_CACHE": "file:///x"})
    message = str(raised.value)
    assert message.startswith(variable) and expected in message and "\n" not in message
    assert isinstance(raised.value, PrebundleError)  # the CLI reports it as a user error


def test_signatures_required_without_a_key():
    with pytest.raises(RemoteConfigError, match="set PREBUNDLE_REMOTE_CACHE_KEY"):
        RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE": "1"}, url="file:///x")
    # Without a remote there is nothing to check.
    assert RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE": "1"}).url == ""


def test_a_short_key_is_refused_without_showing_it():
    with pytest.raises(RemoteConfigError) as raised:
        RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE_KEY": "hunter2"}, url="file:///x")
    assert "hunter2" not in str(raised.value) and "openssl rand" in str(raised.value)


def test_the_key_and_passwords_stay_out_of_repr():
    settings = RemoteSettings.from_env({"PREBUNDLE_REMOTE_CACHE_KEY": KEY},
                                       url="webdav+https://ci:pa55word@dav.example:8443/cache")
    assert KEY not in repr(settings) and "pa55word" not in repr(settings)
    assert "dav.example:8443/cache" in repr(settings)
