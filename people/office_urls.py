from django.urls import path

from people import office_views

app_name = "registry"

urlpatterns = [
    path("", office_views.child_list, name="children"),
    path("duplicates/", office_views.review_queue, name="review_queue"),
    path("duplicates/<int:pk>/", office_views.pair, name="pair"),
    path("duplicates/<int:pk>/reopen/", office_views.reopen, name="reopen"),
    path("merges/<int:pk>/undo/", office_views.undo_merge, name="undo_merge"),
    path("<uuid:uuid>/", office_views.child_detail, name="child"),
    path("<uuid:uuid>/identifiers/", office_views.reveal, name="reveal"),
    path("<uuid:uuid>/identifiers/correct/", office_views.correct_identifiers, name="correct_identifiers"),
]
