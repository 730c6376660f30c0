"""Static security analysis: bandit finds nothing of high severity in the app or the analysis
package; the demo's published staff password opens only the demo's accounts."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from strategy.auth.models import Role
from strategy.auth.operations import DEMO_PASSWORD, create_user
from strategy.core.errors import OperationError

ROOT = Path(__file__).resolve().parent.parent
BANDIT = Path(sys.executable).parent / "bandit"


def test_bandit_finds_no_high_severity_issue():
    result = subprocess.run([str(BANDIT), "-q", "-r", "strategy", "analysis", "app.py",
                             "--severity-level", "high", "-f", "json"],
                            cwd=ROOT, capture_output=True, text=True)
    report = json.loads(result.stdout)
    high = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
            for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert high == [], high
    assert not report["errors"], report["errors"]


def test_the_demo_password_cannot_be_given_to_a_real_account(app):
    with pytest.raises(OperationError):
        create_user(display_name="Настоящий Модератор", role=Role.facilitator,
                    email="real@library.ru", password=DEMO_PASSWORD)


def test_the_demo_password_signs_in_demo_accounts_only_until_public_url_is_set(app, client):
    create_user(display_name="Демо", role=Role.organiser, email="metod@strategy.demo",
                password=DEMO_PASSWORD)
    login = {"email": "metod@strategy.demo", "password": DEMO_PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    client.post("/logout")
    app.config["PUBLIC_URL"] = "https://strategy.library.ru"
    refused = client.post("/login", data=login)
    assert refused.status_code == 403
    assert "Пароль из демо" in refused.get_data(as_text=True)
