"""What holds for every template of the project."""

from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_no_one_line_comment_spans_lines():
    """Django's {# #} ends with its line: one left open is printed on the page (it was, in the
    applications queue, once per row). Longer comments use {% comment %}."""
    templates = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]  # the project's own
    assert len(templates) > 50
    open_comments = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == []
