from django.urls import path

from enrollment import campaign_views

app_name = "campaigns"

urlpatterns = [
    path("", campaign_views.campaign_list, name="list"),
    path("new/", campaign_views.campaign_new, name="new"),
    path("<str:code>/edit/", campaign_views.campaign_edit, name="edit"),
    path("<str:code>/progress/", campaign_views.campaign_progress, name="progress"),
    path("<str:code>/allocate/", campaign_views.allocate, name="allocate"),
    path("<str:code>/results/", campaign_views.results, name="results"),
    path("<str:code>/restart/", campaign_views.restart, name="restart"),
    path("<str:code>/cancel/", campaign_views.cancel, name="cancel"),
]
