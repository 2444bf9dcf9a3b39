from django.urls import reverse


def test_home_search_program_and_organization_pages_render(client, published_program):
    assert "Робототехника" in client.get(reverse("navigator:search") + "?q=робототехнике").content.decode()
    home = client.get(reverse("navigator:home"))
    assert home.status_code == 200
    page = client.get(reverse("navigator:program", args=[published_program.code]))
    assert page.status_code == 200
    assert "Группы и расписание" in page.content.decode()
    org = client.get(reverse("navigator:organization", args=[published_program.organization.code]))
    assert published_program.title in org.content.decode()
