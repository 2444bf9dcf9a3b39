"""The settings of the version for the visually impaired: kept in one cookie, read back as written,
a value there is no such choice for refused with its reason."""

import pytest

from core.a11y import A11ySettings, changed, from_cookie, panel


@pytest.mark.parametrize("cookie", [None, "", "0"])
def test_no_cookie_or_switched_off_is_the_usual_version(cookie):
    assert from_cookie(cookie) is None


def test_the_version_as_it_comes_is_kept_as_one_and_has_one_class():
    assert from_cookie("1") == A11ySettings()
    assert A11ySettings().cookie_value == "1"
    assert A11ySettings().css_classes == "a11y"


def test_settings_are_read_back_as_written_and_give_a_class_each_changed():
    chosen = A11ySettings(size="3", scheme="black", spacing="2", images="1")
    assert chosen.cookie_value == "3.black.2.1"
    assert from_cookie(chosen.cookie_value) == chosen
    assert chosen.css_classes == "a11y a11y-size-3 a11y-scheme-black a11y-spacing-2 a11y-images-1"
    assert A11ySettings(scheme="blue").css_classes == "a11y a11y-scheme-blue"


@pytest.mark.parametrize("cookie", ["3.purple.2.1", "9.black.2.1", "3.black", "yes", "3.black.2.1.0"])
def test_a_cookie_this_version_did_not_write_shows_the_version_as_it_comes(cookie):
    assert from_cookie(cookie) == A11ySettings()


def test_a_change_sets_only_the_settings_named():
    before = A11ySettings(size="2", scheme="beige")
    assert changed(before, {"spacing": "3", "next": "/"}) == A11ySettings(size="2", scheme="beige", spacing="3")
    assert changed(before, {}) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"size": "4"}, "Размер шрифта: нет такого значения «4» (можно: 1, 2, 3)."),
        ({"scheme": "purple"}, "Цвета: нет такого значения «purple» (можно: white, black, blue, beige)."),
        ({"images": ""}, "Изображения: нет такого значения «» (можно: 0, 1)."),
    ],
)
def test_a_value_there_is_no_choice_for_is_refused_with_its_reason(query, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        changed(A11ySettings(), {"size": "2", **query})


def test_the_panel_offers_every_choice_once_marks_the_current_ones_and_comes_back():
    settings = A11ySettings(size="2", images="1")
    groups = panel(settings, "/a11y/", "/programs/?q=шахматы&age=7")
    assert [setting.name for setting, _ in groups] == ["size", "scheme", "spacing", "images"]
    current = {setting.name: [item.choice.value for item in items if item.current] for setting, items in groups}
    assert current == {"size": ["2"], "scheme": ["white"], "spacing": ["1"], "images": ["1"]}
    size_three = groups[0][1][2]
    assert (
        size_three.url == "/a11y/?size=3&next=%2Fprograms%2F%3Fq%3D%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B%26age%3D7"
    )
