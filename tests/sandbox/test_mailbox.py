"""The mailbox: held e-mails of the sandbox organization, newest first, readable and clickable."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from connector.models import Email, OutboxStatus, Organization, utcnow


def add_email(services, organization: str, subject: str, minutes_ago: int = 0,
              html="<p>Hi</p>") -> int:
    with services.db.session() as db:
        org = db.query(Organization).filter_by(name=organization).one_or_none()
        if org is None:
            org = Organization(name=organization)
            db.add(org)
            db.flush()
        email = Email(organization_id=org.id, kind="invitation", dedupe_key=subject,
                      to_address="ada.okafor@example.com", subject=subject,
                      text_body="Start here:\nhttp://127.0.0.1:8000/interview/tok123\n",
                      html_body=html, status=OutboxStatus.HELD,
                      created_at=utcnow() - timedelta(minutes=minutes_ago))
        db.add(email)
        db.flush()
        return email.id


def test_the_mailbox_lists_the_sandbox_emails_newest_first(client, services, seeded):
    add_email(services, "Sandbox", "Older invitation", minutes_ago=5)
    add_email(services, "Sandbox", "Newer invitation")
    add_email(services, "Acme", "Another company's e-mail")
    html = client.get("/sandbox/mailbox").get_data(as_text=True)
    assert html.index("Newer invitation") < html.index("Older invitation")
    assert "ada.okafor@example.com" in html
    assert "Another company" not in html


def test_a_message_shows_clickable_text_and_sandboxed_html(client, services, seeded):
    email_id = add_email(services, "Sandbox", "Your interview",
                         html='<p style="color:red">Hi <script>alert(1)</script></p>')
    response = client.get(f"/sandbox/mailbox/{email_id}")
    html = response.get_data(as_text=True)
    assert ('<a href="http://127.0.0.1:8000/interview/tok123" rel="noopener">'
            'http://127.0.0.1:8000/interview/tok123</a>') in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    # The HTML is an attribute value, escaped: it never runs as part of this page.
    assert "srcdoc=\"&lt;base target=&#34;_blank&#34;&gt;&lt;p style=" in html
    assert "<script>alert" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_another_organizations_email_is_not_found(client, services, seeded):
    other = add_email(services, "Acme", "Private")
    assert client.get(f"/sandbox/mailbox/{other}").status_code == 404
    assert client.get("/sandbox/mailbox/999999").status_code == 404


def test_the_mailbox_is_not_found_when_mail_is_really_sent(client, services, seeded,
                                                           monkeypatch):
    email_id = add_email(services, "Sandbox", "Your interview")
    monkeypatch.setattr(services, "settings",
                        replace(services.settings, smtp_url="smtp://127.0.0.1:2525"))
    assert client.get("/sandbox/mailbox").status_code == 404
    assert client.get(f"/sandbox/mailbox/{email_id}").status_code == 404
