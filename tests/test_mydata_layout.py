"""/mydata lists what is kept one bullet a line (new-user tester: "Số câu hỏi anh/chị đã gửi
bot: 0." stood without its bullet between two bulleted lines)."""

from __future__ import annotations

import pytest

from tests.chat import Person


@pytest.mark.parametrize(("lang", "header"), [("vi", "🔒"), ("en", "🔒")])
def test_every_kept_item_is_a_bullet(conversation, lang, header):
    p = Person(conversation, user_id="dn")
    p.says(f"/lang {lang}")
    p.says("tiết kiệm điện thế nào")
    text = p.says("/mydata")[0].text
    lines = text.splitlines()
    assert lines[0].startswith(header)
    listed = lines[1 : next(i for i, line in enumerate(lines) if "91/2025" in line)]
    items = [line for line in listed if not line.endswith(":")]  # a sub-heading ends with ":"
    assert items and all(line.startswith("• ") for line in items), lines
