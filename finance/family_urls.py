from django.urls import path

from finance import family_views as views

app_name = "family_finance"

urlpatterns = [
    path("children/<uuid:child_uuid>/certificate/", views.certificate, name="certificate"),
    path("applications/<str:code>/pay/", views.pay, name="pay"),
    path("contracts/<uuid:contract_uuid>/", views.contract, name="contract"),
    path("contracts/<uuid:contract_uuid>/accept/", views.accept, name="accept"),
    path("contracts/<uuid:contract_uuid>/reject/", views.reject, name="reject"),
    path("contracts/<uuid:contract_uuid>/terminate/", views.terminate, name="terminate"),
    path("contracts/<uuid:contract_uuid>/pdf/", views.pdf, name="pdf"),
]
