"""Applications and stages in Harvest v3: list reads filtered by ids, a flat shape, the move."""

from __future__ import annotations

import pytest
import requests
import responses

from adapters.greenhouse.client import GreenhouseClient
from adapters.http import Invalid, NotFound
from tests.fakes.greenhouse import BASE_URL, CREDENTIALS, FakeGreenhouse

APPLICATION, STAGE, NEXT_STAGE, JOB = 265277, 71416, 71417, 87752


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGreenhouse(mock)


@pytest.fixture
def gh() -> GreenhouseClient:
    return GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False)


def test_an_application_is_read_from_the_list_filtered_by_ids(fake, gh):
    fake.add_application(APPLICATION, STAGE, job_id=JOB)
    fake.add_application(APPLICATION + 1, NEXT_STAGE)
    application = gh.application(str(APPLICATION))
    assert (application["id"], application["job_id"], application["job_interview_stage_id"],
            application["stage_id"], application["status"]) == (
        APPLICATION, JOB, STAGE, STAGE, "in_process")
    assert fake.calls[-1] == {"kind": "list_applications", "query": {"ids": str(APPLICATION)}}


def test_the_fake_has_no_single_record_read(fake):
    fake.add_application(APPLICATION, STAGE)
    with pytest.raises(requests.ConnectionError):  # responses: nothing answers that URL
        requests.get(f"{BASE_URL}/v3/applications/{APPLICATION}",
                     headers={"Authorization": "Bearer token-1"})


def test_an_empty_list_is_not_found(fake, gh):
    with pytest.raises(NotFound):
        gh.application(str(APPLICATION))


def test_another_application_in_the_answer_is_not_taken_for_this_one():
    with responses.RequestsMock() as mock:
        mock.post("https://auth.greenhouse.io/token", json={"access_token": "t"})
        mock.get(f"{BASE_URL}/v3/applications?ids={APPLICATION}",
                 json=[{"id": 1, "job_id": JOB, "job_interview_stage_id": STAGE}])
        with pytest.raises(NotFound):
            GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False).application(
                str(APPLICATION))


def test_the_current_stage_is_the_job_interview_stage_and_the_job(fake, gh):
    fake.add_application(APPLICATION, STAGE, job_id=JOB)
    assert gh.current_stage(str(APPLICATION)) == (str(STAGE), str(JOB))


def test_the_current_stage_falls_back_to_stage_id(fake, gh):
    fake.add_application(APPLICATION, STAGE, job_id=JOB)["job_interview_stage_id"] = None
    assert gh.current_stage(str(APPLICATION)) == (str(STAGE), str(JOB))


@pytest.mark.parametrize("change", [
    {"job_interview_stage_id": None, "stage_id": None},  # e.g. a prospect
    {"job_id": None},
    {"job_interview_stage_id": {"id": STAGE}, "stage_id": None},  # not an id
])
def test_no_readable_stage_is_none(fake, gh, change):
    fake.add_application(APPLICATION, STAGE).update(change)
    assert gh.current_stage(str(APPLICATION)) is None


def test_a_move_goes_from_the_current_stage(fake, gh):
    fake.add_application(APPLICATION, STAGE, job_id=JOB)
    stage, _job = gh.current_stage(str(APPLICATION))
    gh.move_application(str(APPLICATION), stage, str(NEXT_STAGE))
    assert fake.calls[-1]["json"] == {"from_stage_id": STAGE, "to_stage_id": NEXT_STAGE}
    assert gh.current_stage(str(APPLICATION)) == (str(NEXT_STAGE), str(JOB))
    assert fake.applications[APPLICATION]["stage_id"] == NEXT_STAGE


def test_a_move_from_a_stage_it_has_left_is_refused(fake, gh):
    fake.add_application(APPLICATION, NEXT_STAGE)
    with pytest.raises(Invalid) as refused:
        gh.move_application(str(APPLICATION), str(STAGE), str(NEXT_STAGE))
    assert refused.value.status == 422
    assert fake.applications[APPLICATION]["job_interview_stage_id"] == NEXT_STAGE


def test_the_custom_field_patch_keeps_the_flat_application(fake, gh):
    fake.add_application(APPLICATION, STAGE)
    gh.set_application_field(str(APPLICATION), "score", "4.0 / 5")
    assert fake.applications[APPLICATION]["custom_fields"] == {"score": "4.0 / 5"}
    assert gh.current_stage(str(APPLICATION)) == (str(STAGE), "87752")


def test_one_jobs_stages_are_read_with_job_ids(fake, gh):
    fake.stages = [{"id": 500, "job_id": 11111, "name": "Interview"},
                   {"id": NEXT_STAGE, "job_id": JOB, "name": "Interview"}]
    assert [s["id"] for s in gh.job_interview_stages(str(JOB))] == [NEXT_STAGE]
    assert fake.calls[-1]["url"].endswith(f"?per_page=100&job_ids={JOB}")
    assert [s["id"] for s in gh.job_interview_stages()] == [500, NEXT_STAGE]


def test_a_stage_name_is_given_with_the_application(fake, gh):
    fake.stages = [{"id": STAGE, "job_id": JOB, "name": "Assessment"}]
    fake.add_application(APPLICATION, STAGE, job_id=JOB)
    assert gh.application(str(APPLICATION))["stage_name"] == "Assessment"
