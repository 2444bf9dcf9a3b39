from django.urls import path

from catalog import office_views

app_name = "office"

urlpatterns = [
    path("", office_views.home, name="home"),
]
