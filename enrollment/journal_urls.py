from django.urls import path

from enrollment import journal_views

app_name = "journal"

urlpatterns = [
    # Before the group's pages: "holidays" is not a group code.
    path("holidays/", journal_views.holidays, name="holidays"),
    path("holidays/<int:pk>/remove/", journal_views.holiday_remove, name="holiday_remove"),
    path("<str:code>/", journal_views.group_journal, name="group"),
    path("<str:code>/generate/", journal_views.generate, name="generate"),
    path("<str:code>/report/<int:year>-<int:month>.xlsx", journal_views.report, name="report"),
]
