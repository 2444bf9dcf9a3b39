from django.urls import path

from finance import office_views

app_name = "office_finance"

urlpatterns = [
    path("", office_views.home, name="home"),
    path("certificates/", office_views.certificate_queue, name="certificates"),
    path("certificates/<str:code>/decide/", office_views.certificate_decide, name="certificate_decide"),
    path("certification/", office_views.certification, name="certification"),
    path("certification/<str:code>/submit/", office_views.certification_submit, name="certification_submit"),
    path("certification/<str:code>/decide/", office_views.certification_decide, name="certification_decide"),
    path("providers/", office_views.providers, name="providers"),
    path("providers/<str:code>/include/", office_views.provider_include, name="provider_include"),
    path("agreements/", office_views.agreement_sign, name="agreement_sign"),
    path("contracts/", office_views.contract_list, name="contracts"),
    path("contracts/<str:code>/", office_views.contract_detail, name="contract"),
    path("contracts/<str:code>/pdf/", office_views.contract_document, name="contract_pdf"),
    path("contracts/<str:code>/confirm/", office_views.contract_confirm, name="contract_confirm"),
    path("contracts/<str:code>/reject/", office_views.contract_reject, name="contract_reject"),
    path("contracts/<str:code>/terminate/", office_views.contract_terminate, name="contract_terminate"),
    path("months/", office_views.period_list, name="periods"),
    path("months/<int:pk>/", office_views.period_detail, name="period"),
    path("months/<int:pk>/close/", office_views.month_close, name="month_close"),
    path("months/<int:pk>/completeness/", office_views.completeness_report, name="completeness"),
    path("months/<int:pk>/invoices/", office_views.invoice_issue, name="invoice_issue"),
    path("invoices/<str:code>/pay/", office_views.invoice_pay, name="invoice_pay"),
    path("reports/", office_views.report_list, name="reports"),
]
