"""Run `connector worker` with Greenhouse's API faked by responses, recording calls to a file.

The end-to-end test starts this as a separate process: a real rq worker, whose jobs run in
the process that installed the fake; GREENHOUSE_RECORD names the file the calls go to.
"""

import os
import sys
from pathlib import Path

import responses

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from connector.cli import main  # noqa: E402
from tests.fakes.greenhouse import FakeGreenhouse  # noqa: E402

if __name__ == "__main__":
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakeGreenhouse(mock, record_file=Path(os.environ["GREENHOUSE_RECORD"]))
        main(["worker"], standalone_mode=False)
