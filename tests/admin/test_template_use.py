"""The template list says which templates are in use: by the organization's installations
(their trigger stages) and by interviews already created from them."""

from __future__ import annotations

import re

import pytest

from connector.admin.templates import used_by
from tests.admin.template_forms import created, invite
from tests.conftest import make_installation


def in_use(client) -> dict[str, str]:
    """Template name -> its "in use" cell, from the list page."""
    html = client.get("/admin/templates").get_data(as_text=True)
    rows = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>.*?</th>(?:\s*<td>.*?</td>){3}'
                      r'\s*<td>([^<]*)</td>', html, re.S)
    return dict(rows)


def test_the_built_in_template_counts_installations_whose_stages_name_no_template(
        admin, services):
    make_installation(services, ["Assessment", "Async screen"])  # two stages, one installation
    make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")
    assert in_use(admin) == {"Default screen": "Used by 1 installation"}


def test_a_template_counts_its_installations_and_interviews(admin, client, services,
                                                           installation, greenhouse):
    own = created(admin, services)
    assert in_use(admin) == {"Support screen": "Not used yet",
                             "Default screen": "Used by 1 installation"}
    invite(client, services, installation, own.id, application_id=101)
    invite(client, services, installation, own.id, application_id=102)
    assert in_use(admin) == {"Support screen": "Used by 1 installation and 2 interviews",
                             "Default screen": "Not used yet"}


@pytest.mark.parametrize("installations, interviews, words", [
    (0, 0, "Not used yet"), (1, 0, "Used by 1 installation"), (0, 1, "Used by 1 interview"),
    (2, 3, "Used by 2 installations and 3 interviews")])
def test_use_in_words(installations, interviews, words):
    assert used_by(installations, interviews) == words
