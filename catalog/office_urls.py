from django.urls import path

from catalog import office_views

app_name = "office"

urlpatterns = [
    path("", office_views.home, name="home"),
    path("programs/", office_views.program_list, name="program_list"),
    path("programs/new/", office_views.program_create, name="program_create"),
    path("programs/<str:code>/", office_views.program_detail, name="program_detail"),
    path("programs/<str:code>/copy/", office_views.program_copy, name="program_copy"),
    path("programs/<str:code>/edit/", office_views.program_edit, name="program_edit"),
    path("programs/<str:code>/status/", office_views.program_status, name="program_status"),
    path("programs/<str:code>/archive/", office_views.program_archive, name="program_archive"),
    path("programs/<str:code>/groups/new/", office_views.group_create, name="group_create"),
    path("programs/<str:code>/groups/next-year/", office_views.groups_next_year, name="groups_next_year"),
    path("groups/next-year/", office_views.organization_groups_next_year, name="organization_groups_next_year"),
    path("groups/<str:code>/edit/", office_views.group_edit, name="group_edit"),
    path("groups/<str:code>/switch-off/", office_views.group_switch_off, name="group_switch_off"),
    path("organization/", office_views.organization_profile, name="organization_profile"),
    path("places/", office_views.place_list, name="place_list"),
    path("places/new/", office_views.place_create, name="place_create"),
    path("places/<int:pk>/edit/", office_views.place_edit, name="place_edit"),
    path("places/<int:pk>/remove/", office_views.place_remove, name="place_remove"),
    path("organizations/", office_views.organization_register, name="organization_register"),
    path("organizations/xlsx/", office_views.organization_register_xlsx, name="organization_register_xlsx"),
    path("organizations/new/", office_views.organization_register_create, name="organization_register_create"),
    path("organizations/<str:code>/edit/", office_views.organization_register_edit, name="organization_register_edit"),
    path("staff/", office_views.staff, name="staff"),
    path("staff/teachers/new/", office_views.teacher_create, name="teacher_create"),
    path("staff/teachers/<uuid:uuid>/edit/", office_views.teacher_edit, name="teacher_edit"),
    path("staff/teachers/<uuid:uuid>/remove/", office_views.teacher_remove, name="teacher_remove"),
    path("staff/operators/new/", office_views.operator_invite, name="operator_invite"),
    path("staff/access/<int:pk>/close/", office_views.access_close, name="access_close"),
    path("staff/access/<int:pk>/resend/", office_views.access_resend, name="access_resend"),
    path("moderation/", office_views.moderation_queue, name="moderation_queue"),
]
