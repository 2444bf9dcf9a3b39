from django.urls import path

from enrollment import office_views

app_name = "office_applications"

urlpatterns = [
    path("", office_views.queue, name="queue"),
    path("decide/", office_views.decide, name="decide"),
    path("orders/<str:code>.pdf", office_views.order_pdf, name="order_pdf"),
]
