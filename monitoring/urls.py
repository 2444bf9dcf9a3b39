from django.urls import path

from monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<str:code>/", views.organization, name="organization"),
    path("targets/", views.targets, name="targets"),
    path("form-1dop/", views.form_1dop, name="form_1dop"),
]
