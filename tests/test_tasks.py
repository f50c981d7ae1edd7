"""Every job the code asks the queue for by name (connector/tasks.py) is a function of jobs/."""

from __future__ import annotations

import importlib
import inspect

from connector import tasks


def test_each_task_names_a_job_function_taking_row_ids():
    names = {key: value for key, value in vars(tasks).items() if key.isupper()}
    assert len(names) >= 9
    for key, path in names.items():
        module, _, function = path.rpartition(".")
        assert module.startswith("jobs."), key
        job = getattr(importlib.import_module(module), function)
        assert inspect.isfunction(job) and job.__module__ == module, key
