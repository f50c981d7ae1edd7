"""Sign-in throttling: by address and by (account, address), counted where every process sees it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

from sqlalchemy import select

from connector.models import RateLimitHit
from tests.test_accounts import PASSWORD, add_user
from tests.test_auth import app_with, csrf, sign_in

WRONG = "wrong password!"

# Another process of the same deployment: its own app on the same settings, which makes
# failed sign-ins at ann@example.com from 10.0.0.1 and prints the answers it got.
OTHER_PROCESS = """
import json, sys
from pathlib import Path
from config import Settings
from connector.app import create_app
from connector.services import install
from connector.wiring import build_services

values = json.loads(sys.argv[1])
values["secret_keys"], values["data_dir"] = tuple(values["secret_keys"]), Path(values["data_dir"])
app = create_app(services=install(build_services(Settings(**values), synchronous_jobs=True)))
app.config["TESTING"] = True
client = app.test_client()
statuses = []
for _ in range(int(sys.argv[2])):
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1]
    data = {"email": "ann@example.com", "password": "wrong password!",
            "csrf_token": token.split('"')[0]}
    statuses.append(client.post("/login", data=data,
                                environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code)
print(json.dumps(statuses))
"""


def fail_in_another_process(settings, attempts: int) -> list[int]:
    values = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()}
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(values), str(attempts)], cwd=root,
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_failed_attempts_from_one_address_are_throttled(client, services):
    add_user(services)
    for n in range(10):
        assert sign_in(client, f"guess{n}@example.com", WRONG).status_code == 401
    response = sign_in(client, "ann@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    # Another address is not held up by this one.
    assert sign_in(client, address="10.0.0.2").status_code == 303


def test_failed_attempts_at_one_account_from_one_address_are_throttled(client, services):
    add_user(services)
    for _ in range(5):
        assert sign_in(client, "Ann@example.com", WRONG).status_code == 401
    assert sign_in(client).status_code == 429
    assert sign_in(client, "bob@example.com", WRONG).status_code == 401


def test_an_attackers_wrong_passwords_do_not_lock_the_owner_out(app, client, services):
    add_user(services)
    answers = [sign_in(client, "ann@example.com", WRONG, address="10.6.6.6").status_code
               for _ in range(50)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    owner = app.test_client()
    assert sign_in(owner, address="10.0.0.2").status_code == 303


def test_successful_sign_ins_do_not_count(client, services):
    add_user(services)
    for _ in range(12):
        assert sign_in(client).status_code == 303
        client.post("/logout", data={"csrf_token": csrf(client, "/account")})
    for _ in range(12):
        assert client.get("/login").status_code == 200  # the page itself is never throttled


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings, services):
    app, own = app_with(replace(settings, trusted_proxies=1))
    try:
        client = app.test_client()
        for n in range(10):
            headers = {"X-Forwarded-For": f"6.6.6.{n}, 203.0.113.9"}  # the left part is forged
            data = {"email": f"g{n}@example.com", "password": WRONG, "csrf_token": csrf(client)}
            assert client.post("/login", data=data, headers=headers).status_code == 401
        data["email"] = "other@example.com"
        assert client.post("/login", data=data, headers={
            "X-Forwarded-For": "203.0.113.9"}).status_code == 429
        assert client.post("/login", data=data, headers={
            "X-Forwarded-For": "198.51.100.7"}).status_code == 401
    finally:
        own.close()


def test_processes_share_the_counts_through_the_database(settings, client, services):
    add_user(services)
    assert fail_in_another_process(settings, 5) == [401] * 5
    assert sign_in(client, address="10.0.0.1").status_code == 429  # counted over there
    assert sign_in(client, address="10.0.0.2").status_code == 303
    with services.db.session() as db:
        keys = db.scalars(select(RateLimitHit.key)).all()
    assert keys and not [k for k in keys if "ann@example.com" in k or "10.0.0.1" in k]


def test_processes_share_the_counts_through_redis(settings, services, redis_url):
    from redis import Redis

    add_user(services)
    settings = replace(settings, redis_url=redis_url)
    app, own = app_with(settings)
    try:
        assert fail_in_another_process(settings, 5) == [401] * 5
        assert sign_in(app.test_client(), address="10.0.0.1").status_code == 429
        assert sign_in(app.test_client(), address="10.0.0.2").status_code == 303
        keys = [k.decode() for k in Redis.from_url(redis_url).keys("*connector-limits*")]
        assert keys and not [k for k in keys if "ann@example.com" in k or "10.0.0.1" in k]
    finally:
        own.close()
