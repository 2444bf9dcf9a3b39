"""The signed-in person's own settings: API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.models import ApiToken, User


class AuthenticatedRequest(HttpRequest):
    user: User


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Назначение токена",
        max_length=100,
        help_text="Например: «Выгрузка в региональную систему». Видно только вам.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The person's tokens; a new one is shown here once, in the response that issued it."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    raw_token = None
    if form.is_valid():
        _, raw_token = services.issue_api_token(request.user, request.user, form.cleaned_data["name"])
        form = TokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    response = render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "raw_token": raw_token})
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def revoke_api_token(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(request.user, token)
    messages.success(request, f"Токен «{token.name}» отозван: запросы с ним больше не принимаются.")
    return redirect("accounts:api_tokens")
