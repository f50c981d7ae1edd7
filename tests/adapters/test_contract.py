"""The contract suite, run for every registered ATS (tests/adapters/contract.py holds the checks)."""

from __future__ import annotations

import pytest

from adapters import ADAPTERS
from tests.adapters import contract
from tests.adapters.kit import kit_for

KEYS = [manifest.key for manifest in ADAPTERS]
FIXTURES = [(m.key, name) for m in ADAPTERS for name in contract.fixtures(kit_for(m))]


def manifest_and_kit(key: str):
    manifest = next(m for m in ADAPTERS if m.key == key)
    return manifest, kit_for(manifest)


@pytest.mark.parametrize(("key", "name"), FIXTURES, ids=[f"{k}-{n}" for k, n in FIXTURES])
def test_every_fixture_reads_as_its_stated_event(key, name):
    contract.check_fixture(*manifest_and_kit(key), name)


@pytest.mark.parametrize("key", KEYS)
def test_signatures_round_trip_and_refuse_tampering(key):
    contract.check_signatures(*manifest_and_kit(key))


@pytest.mark.parametrize("key", KEYS)
def test_the_sample_event_reads_and_invites_no_one(key):
    contract.check_sample(*manifest_and_kit(key))


@pytest.mark.parametrize("key", KEYS)
def test_the_manifest_declares_what_the_adapter_does(key):
    contract.check_manifest(manifest_and_kit(key)[0])


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("kind", [0, 1], ids=["note", "note-with-result"])
def test_each_outcome_is_written_once_when_an_answer_is_lost(key, kind):
    manifest, kit = manifest_and_kit(key)
    contract.check_written_once(manifest, kit, contract.outcomes(kit)[kind])


@pytest.mark.parametrize("key", [m.key for m in ADAPTERS if m.can("move")])
def test_moves_go_once_and_only_from_the_stage_just_read(key):
    contract.check_moves(*manifest_and_kit(key))


def test_every_registered_ats_has_a_kit_and_every_fixture_a_stated_event():
    for manifest in ADAPTERS:
        kit = kit_for(manifest)
        names = contract.fixtures(kit)
        assert names, f"{manifest.key} has no fixtures"
        missing = [n for n in names if not (kit.fixtures / f"{n}.event.json").exists()]
        assert not missing, f"{manifest.key}: no .event.json for {missing}"
