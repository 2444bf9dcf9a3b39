from django.urls import path

from monitoring import import_views, views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<str:code>/", views.organization, name="organization"),
    path("targets/", views.targets, name="targets"),
    path("form-1dop/", views.form_1dop, name="form_1dop"),
    path("imports/", import_views.batch_list, name="imports"),
    path("imports/template.xlsx", import_views.template, name="import_template"),
    path("imports/upload/", import_views.upload, name="import_upload"),
    path("imports/career-lessons/", import_views.career_lessons, name="career_lessons"),
    path("imports/career-lessons/template.xlsx", import_views.career_template, name="career_template"),
    path("imports/<str:code>/", import_views.batch_detail, name="import"),
    path("imports/<str:code>/progress/", import_views.batch_progress, name="import_progress"),
    path("imports/<str:code>/apply/", import_views.apply, name="import_apply"),
    path("imports/<str:code>/errors.xlsx", import_views.errors_xlsx, name="import_errors"),
]
