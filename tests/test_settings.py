"""Service settings come from AXISTAG_* variables, with defaults, and refuse values they cannot run with."""

from __future__ import annotations

import pytest

from serving.settings import (
    EXPLAIN_COST,
    SCORED_CHARS_PER_SECOND,
    ServiceSettings,
    SettingsError,
    available_cpus,
)


def test_defaults_without_variables():
    settings = ServiceSettings.from_env({})
    assert settings.max_text_chars == 100_000
    assert settings.max_batch_items == 256
    assert settings.max_batch_chars == 255_000
    assert settings.api_key is None
    assert settings.workers == 1
    assert settings.torch_threads == available_cpus()


def test_variables_override_the_defaults():
    settings = ServiceSettings.from_env(
        {
            "AXISTAG_MAX_TEXT_CHARS": "500",
            "AXISTAG_MAX_BATCH_ITEMS": "3",
            "AXISTAG_MAX_BATCH_CHARS": "900",
            "AXISTAG_MAX_BODY_BYTES": "4096",
            "AXISTAG_MAX_UPLOAD_BYTES": "2048",
            "AXISTAG_API_KEY": "secret",
            "AXISTAG_SCORING_BATCH": "8",
            "AXISTAG_TIMEOUT": "5",
        }
    )
    assert (settings.max_text_chars, settings.max_batch_items, settings.max_batch_chars) == (500, 3, 900)
    assert (settings.max_body_bytes, settings.max_upload_bytes) == (4096, 2048)
    assert (settings.api_key, settings.scoring_batch, settings.timeout_seconds) == ("secret", 8, 5)


@pytest.mark.parametrize("timeout", ["60", "10", "600"])
def test_a_request_at_every_default_limit_is_scored_within_the_timeout(timeout):
    # At the measured speed, the largest batch or file, and the longest text with evidence, take half the timeout.
    settings = ServiceSettings.from_env({"AXISTAG_TIMEOUT": timeout})
    seconds = settings.max_batch_chars / SCORED_CHARS_PER_SECOND
    assert seconds <= settings.timeout_seconds / 2
    assert settings.max_text_chars * EXPLAIN_COST <= settings.max_batch_chars
    assert settings.max_text_chars <= 100_000


def test_torch_threads_share_the_cpus_between_workers():
    workers = available_cpus() + 1
    assert ServiceSettings.from_env({"AXISTAG_WORKERS": str(workers)}).torch_threads == 1
    assert ServiceSettings.from_env({"AXISTAG_WORKERS": "2", "AXISTAG_TORCH_THREADS": "3"}).torch_threads == 3


def test_an_empty_key_means_no_key():
    assert ServiceSettings.from_env({"AXISTAG_API_KEY": ""}).api_key is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("AXISTAG_WORKERS", "0"), ("AXISTAG_MAX_TEXT_CHARS", "many"), ("AXISTAG_SCORING_BATCH", "1")],
)
def test_unusable_values_name_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        ServiceSettings.from_env({name: value})
