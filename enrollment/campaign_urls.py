from django.urls import path

from enrollment import campaign_views

app_name = "campaigns"

urlpatterns = [
    path("", campaign_views.campaign_list, name="list"),
    path("<str:code>/progress/", campaign_views.campaign_progress, name="progress"),
    path("<str:code>/allocate/", campaign_views.allocate, name="allocate"),
]
