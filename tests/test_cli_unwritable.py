"""Every command that writes a file says in one line why it cannot, and writes nothing (new-user
tester: `events export CODE -o /no/such/folder/x.xlsx` and `privacy export … -o /proc/x.json`
ended in a FileNotFoundError traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import run

EVENT = """\
events:
  - code: ws-x
    kind: workshop
    status: published
    title_vi: Hội thảo tiết kiệm năng lượng
    start: 2027-03-05 08:00
    place: Hội trường Sở Công Thương
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("unwritable")
    env = {"SXSH_DATABASE_URL": f"sqlite:///{folder / 'bot.db'}"}
    (folder / "ev.yaml").write_text(EVENT, encoding="utf-8")
    assert run(["events", "import", str(folder / "ev.yaml")], env, cwd=folder).returncode == 0
    assert run(["chat", "--user", "dn"], env, stdin="/start\n", cwd=folder).returncode == 0
    made = run(["broadcast", "create", "Tin thử"], env, cwd=folder)
    assert made.returncode == 0, made.stderr
    env["folder"] = str(folder)
    return env


COMMANDS = [
    ["events", "export", "ws-x", "-o"],
    ["privacy", "export", "console:dn", "-o"],
    ["export", "responses", "-o"],
    ["broadcast", "export", "1", "-o"],
]
WHERE = ["no_folder", "proc"]


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_file_that_cannot_be_written_is_one_line(db, command, where):
    suffix = ".json" if command[0] == "privacy" else ".xlsx"
    if where == "proc":
        if not Path("/proc").is_dir():
            pytest.skip("no /proc here")
        target = f"/proc/sxsh-x{suffix}"  # a folder nobody may create files in, root included
    else:
        target = f"{db['folder']}/no/such/folder/x{suffix}"
    env = {k: v for k, v in db.items() if k != "folder"}
    r = run([*command, target], env, cwd=db["folder"])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sxsh-bot: cannot write"), r.stderr
    assert not Path(target).exists()
