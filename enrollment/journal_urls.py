from django.urls import path

from enrollment import journal_views

app_name = "journal"

urlpatterns = [
    path("<str:code>/", journal_views.group_journal, name="group"),
    path("<str:code>/generate/", journal_views.generate, name="generate"),
    path("<str:code>/report/<int:year>-<int:month>.xlsx", journal_views.report, name="report"),
]
