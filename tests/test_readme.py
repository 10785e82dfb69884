"""The README can be followed literally: its links stay in the repository, and its commands work as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.server import ServerProcess
from tests.test_cli import run

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples" / "claims.ndjson"
# Markdown links and images `[text](target)`, and autolinks `<scheme://...>`.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)|<([a-z][a-z0-9+.-]*:[^>\s]+)>", re.IGNORECASE)
CODE_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _prose(text: str) -> str:
    """The README without its code blocks and inline code, where commands and addresses are not links."""
    return re.sub(r"`[^`\n]*`", "", CODE_BLOCK.sub("", text))


def test_no_link_points_outside_the_repository() -> None:
    text = README.read_text()
    links = [first or second for first, second in LINK.findall(_prose(text))]
    assert links, "the README links its screenshots"
    for target in links:
        assert "://" not in target and not target.startswith(("//", "mailto:")), target
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT.resolve()), target
        assert path.exists(), target
    assert "../" not in text and "shared/" not in text


def test_the_readme_says_where_the_claimdb_command_is() -> None:
    text = README.read_text()
    assert ".venv/bin/claimdb" in text
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in text


def test_the_example_file_is_one_claim_a_line() -> None:
    lines = EXAMPLES.read_text().splitlines()
    assert len(lines) == 3
    for line in lines:
        assert isinstance(json.loads(line), dict)
    # The line the README shows as the minimal form is the file's first line, on one line as NDJSON needs.
    blocks = {body.strip() for language, body in CODE_BLOCK.findall(README.read_text()) if language == "json"}
    assert lines[0] in blocks


def _shell_blocks() -> list[str]:
    """The README's `sh` blocks that talk to the server, in order (not `make`, not the key placeholders)."""
    blocks = [body for language, body in CODE_BLOCK.findall(README.read_text()) if language == "sh"]
    return [block for block in blocks if "curl" in block]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's commands use curl")
def test_the_readme_commands_work_as_written(
    server: ServerProcess, database_url: str, api: Api, tmp_path: Path
) -> None:
    """Run every `curl` block of the README, in order, in one shell, against `claimdb serve` with the demo."""
    demo = run(database_url, "demo")
    assert demo.returncode == 0, demo.stderr
    keys = {line.split()[0]: line.split()[2] for line in demo.stdout.splitlines() if "cdb_" in line}
    script = "\n".join(_shell_blocks()).replace("http://127.0.0.1:8000", server.base_url)
    # What each step answers, on standard error, so that the test can read the shell's variables afterwards.
    script += '\necho "CLAIM=$CLAIM" >&2\necho "BEFORE=$BEFORE" >&2\n'
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLES, tmp_path / "examples" / "claims.ndjson")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "ANALYST": keys["analyst"], "REVIEWER": keys["reviewer"], "ADMIN": keys["admin"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    variables = dict(line.split("=", 1) for line in result.stderr.splitlines() if "=" in line)
    claim_id = variables["CLAIM"]
    # The import answered what the README says it answers.
    stated = re.search(r"--data-binary @examples/claims.ndjson\n# (\{.*\})", README.read_text())
    assert stated is not None
    assert stated.group(1) in result.stdout
    # The claim was posted and moved, and `as_of=$BEFORE` showed it as it was before the move.
    admin = api.anonymous()
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    now = admin.get(f"/v1/claims/{claim_id}", headers=headers).json()
    assert (now["status"], now["version"]) == ("under_review", 2)
    then = admin.get(f"/v1/claims/{claim_id}", params={"as_of": variables["BEFORE"]}, headers=headers)
    assert then.status_code == 200
    assert (then.json()["status"], then.json()["version"]) == ("claimed", 1)
    # What the README says of `as_of`: a time before the demo was recorded names nothing.
    demo_claim = admin.get("/v1/claims", params={"source": "ISW", "limit": 1}, headers=headers).json()["items"][0]
    early = admin.get(f"/v1/claims/{demo_claim['id']}", params={"as_of": "2022-05-15"}, headers=headers)
    assert early.status_code == 404
    assert (tmp_path / "isw.csv").read_text().startswith("id,external_id,statement")
