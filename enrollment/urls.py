from django.urls import path

from enrollment import campaign_views, views

app_name = "family"

urlpatterns = [
    path("", views.cabinet, name="cabinet"),
    path("children/new/", views.child_new, name="child_new"),
    path("children/<uuid:child_uuid>/edit/", views.child_edit, name="child_edit"),
    path("apply/<str:code>/", views.apply, name="apply"),
    path("applications/<str:code>/cancel/", views.cancel, name="cancel"),
    path("campaigns/<str:code>/", campaign_views.rank, name="campaign"),
    path("watch/<str:code>/", views.watch, name="watch"),
    path("watches/<int:pk>/stop/", views.stop_watching, name="stop_watching"),
    path("saved/<str:code>/", views.save_program, name="save_program"),
    path("saved/<int:pk>/remove/", views.forget_saved, name="forget_saved"),
    path("search-alerts/", views.keep_search_alert, name="keep_search_alert"),
    path("search-alerts/<int:pk>/remove/", views.forget_search_alert, name="forget_search_alert"),
    path("search-alerts/stop/<str:token>/", views.stop_search_alert, name="stop_search_alert"),
]
