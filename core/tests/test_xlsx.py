"""Workbooks of tables: sheet names Excel accepts, cut between words."""

from core.xlsx import sheet_name


def test_a_sheet_name_drops_what_excel_refuses_and_is_cut_between_words():
    assert sheet_name("Показатели: Энская область, 2026") == "Показатели Энская область, 2026"
    assert sheet_name("Организации по числу охваченных детей, 2026") == "Организации по числу охваченных"
    assert sheet_name("Итоги [черновик] / 2026?") == "Итоги черновик 2026"
    assert sheet_name("Сверхдлинноесловобезпробеловкотороенепоместится") == "Сверхдлинноесловобезпробеловкот"
