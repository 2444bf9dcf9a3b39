"""The family's side of personified financing: the child's certificate, paying for a place by it,
and the contract (accept, refuse, terminate, PDF).

The family sees only its own children's certificates and contracts: every object is looked up
among those of the signed-in guardian and through the scope rules; anything else is 404.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core import scope
from enrollment.models import Application, ApplicationStatus
from finance import certificates, contracts, reports
from finance.models import (
    LIVE_CONTRACT,
    PENDING_CONTRACT,
    Certificate,
    CertificateStatus,
    Contract,
    ContractStatus,
    NominalKind,
    OperationKind,
    Posting,
)
from finance.pdf import contract_pdf
from people.models import Child

# An application may be paid by the certificate once the child has a place in a group.
PAYABLE_APPLICATION = (ApplicationStatus.INVITED, ApplicationStatus.ENROLLED)


def _text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # signed in: login_required


def _child(request: HttpRequest, child_uuid: Any) -> Child:
    return get_object_or_404(Child.objects.living().distinct(), uuid=child_uuid, guardians__user=_user(request))


def _contracts(request: HttpRequest) -> QuerySet[Contract]:
    """The signed-in guardian's children's contracts, within the scope rules."""
    own = Contract.objects.filter(certificate__child__guardians__user=_user(request)).distinct()
    return scope.restrict(own, request.user, "view")


def _contract(request: HttpRequest, contract_uuid: Any) -> Contract:
    queryset = _contracts(request).select_related(
        "certificate__child",
        "application",
        "group__program",
        "provider__organization",
        "period",
        "module",
    )
    return scope.get_in_scope(queryset, request.user, "view", uuid=contract_uuid)


@login_required
@require_http_methods(["GET", "POST"])
def certificate(request: HttpRequest, child_uuid: Any) -> HttpResponse:
    child = _child(request, child_uuid)
    if request.method == "POST":
        try:
            certificates.request_certificate(request.user, child)
        except ValidationError as error:
            messages.error(request, _text(error))
        else:
            messages.success(
                request,
                "Заявление на сертификат подано. Сертификат выдадут, когда организация или муниципальный "
                "опорный центр подтвердит личность ребёнка.",
            )
        return redirect("family_finance:certificate", child_uuid=child.uuid)
    found = scope.restrict(Certificate.objects.filter(child=child), request.user, "view")
    cert = found.select_related("group__period", "municipality").first()
    child_contracts: list[Contract] = []
    payable: list[Application] = []
    if cert is not None:
        child_contracts = list(
            _contracts(request).filter(certificate=cert).select_related("group__program", "provider__organization")
        )
        live = {c.application_id for c in child_contracts if c.status in LIVE_CONTRACT}
        payable = [
            a
            for a in Application.objects.filter(
                child=child, status__in=PAYABLE_APPLICATION, group__isnull=False, program__by_certificate=True
            ).select_related("program__organization", "group")
            if a.pk not in live
        ]
    declined_reason = ""
    if cert is not None and cert.status == CertificateStatus.DECLINED:
        last = cert.events.filter(to_status=CertificateStatus.DECLINED).last()
        declined_reason = last.reason if last else ""
    return render(
        request,
        "finance/family/certificate.html",
        {
            "child": child,
            "certificate": cert,
            "money": reports.certificate_money(cert) if cert else None,
            "uses_hours": bool(cert and cert.group and cert.group.nominal_kind == NominalKind.HOURS),
            "events": list(cert.events.all()) if cert else [],
            "contracts": child_contracts,
            "payable": payable,
            "declined_reason": declined_reason,
            "may_request": cert is None or cert.status == CertificateStatus.DECLINED,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, code: str) -> HttpResponse:
    """«Оплатить сертификатом»: the quote for the child's group, and the request for a contract."""
    own = Application.objects.filter(child__guardians__user=_user(request)).distinct()
    application = scope.get_in_scope(
        own.select_related("child", "program__organization", "group__program"), request.user, "view", code=code
    )
    live = Contract.objects.filter(application=application, status__in=LIVE_CONTRACT).first()
    if live is not None:
        return redirect("family_finance:contract", contract_uuid=live.uuid)
    cert = Certificate.objects.filter(child=application.child).select_related("group", "child").first()
    error = ""
    offer = None
    accepted = request.POST.get("accept_copayment") == "on"
    if application.status not in PAYABLE_APPLICATION or application.group is None:
        error = "Оплатить сертификатом можно, когда ребёнка пригласили или зачислили в группу."
    elif cert is None or not cert.is_issued:
        error = "У ребёнка нет выданного сертификата: сначала получите его."
    else:
        try:
            offer = contracts.preview(cert, application.group, timezone.localdate())
        except ValidationError as failure:
            error = _text(failure)
    if request.method == "POST" and offer is not None:
        try:
            contract = contracts.request_contract(request.user, application, accept_copayment=accepted)
        except ValidationError as failure:
            error = _text(failure)
        else:
            messages.success(
                request, f"Заявка на договор {contract.code} отправлена: организация подтвердит её в течение 5 дней."
            )
            return redirect("family_finance:contract", contract_uuid=contract.uuid)
    first, other = offer.certificate_split if offer else (0, 0)
    family_first, family_other = offer.family_split if offer else (0, 0)
    return render(
        request,
        "finance/family/pay.html",
        {
            "application": application,
            "certificate": cert,
            "offer": offer,
            "certificate_first": first,
            "certificate_other": other,
            "family_first": family_first,
            "family_other": family_other,
            "error": error,
            "accepted": accepted,
        },
    )


@login_required
@require_GET
def contract(request: HttpRequest, contract_uuid: Any) -> HttpResponse:
    current = _contract(request, contract_uuid)
    reserve = current.reserve_account.balance
    charges = list(
        Posting.objects.filter(operation__contract=current, operation__kind=OperationKind.CHARGE)
        .select_related("operation")
        .order_by("operation__month", "pk")
    )
    return render(
        request,
        "finance/family/contract.html",
        {
            "contract": current,
            "events": list(current.events.all()),
            "charges": charges,
            "charged": sum(p.amount for p in charges),
            "reserve": reserve,
            "may_accept": current.status == ContractStatus.CONFIRMED,
            "may_reject": current.status in PENDING_CONTRACT,
            "may_terminate": current.status == ContractStatus.ACTIVE,
        },
    )


def _act(request: HttpRequest, contract_uuid: Any, action: str) -> HttpResponse:
    current = _contract(request, contract_uuid)
    try:
        if action == "accept":
            contracts.accept_contract(request.user, current)
            done = f"Договор {current.code} заключён и действует."
        elif action == "reject":
            contracts.reject_contract(request.user, current, request.POST.get("reason", ""))
            done = f"Вы отказались от договора {current.code}: средства вернулись на сертификат."
        else:
            contracts.terminate_contract(request.user, current, reason=request.POST.get("reason", ""))
            done = f"Договор {current.code} расторгнут."
    except ValidationError as error:
        messages.error(request, _text(error))
    else:
        messages.success(request, done)
    return redirect("family_finance:contract", contract_uuid=current.uuid)


@login_required
@require_POST
def accept(request: HttpRequest, contract_uuid: Any) -> HttpResponse:
    return _act(request, contract_uuid, "accept")


@login_required
@require_POST
def reject(request: HttpRequest, contract_uuid: Any) -> HttpResponse:
    return _act(request, contract_uuid, "reject")


@login_required
@require_POST
def terminate(request: HttpRequest, contract_uuid: Any) -> HttpResponse:
    return _act(request, contract_uuid, "terminate")


@login_required
@require_GET
def pdf(request: HttpRequest, contract_uuid: Any) -> HttpResponse:
    current = _contract(request, contract_uuid)
    response = HttpResponse(contract_pdf(current), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{current.code}.pdf"'
    return response
