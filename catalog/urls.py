from django.urls import path

from catalog import views

app_name = "navigator"

urlpatterns = [
    path("", views.home, name="home"),
    path("programs/", views.search, name="search"),
    path("programs/<str:code>/", views.program_detail, name="program"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<str:code>/", views.organization_detail, name="organization"),
    path("a11y/", views.toggle_a11y, name="a11y"),
]
