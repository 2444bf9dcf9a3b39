"""Accounts: a family registers and confirms the e-mail; a signed-in person manages API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.consent import CONSENT_TEXT, CONSENT_VERSION
from accounts.models import ApiToken, User
from accounts.roles import principal_of
from core.redirects import site_path
from core.validators import validate_phone
from territory.models import Municipality


class AuthenticatedRequest(HttpRequest):
    user: User


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Назначение токена",
        max_length=100,
        help_text="Например: «Выгрузка в региональную систему». Видно только вам.",
    )


@login_required
@require_GET
def start(request: AuthenticatedRequest) -> HttpResponse:
    """Where signing in leads: staff to the office, a family to its children and applications,
    anyone else to the Navigator."""
    principal = principal_of(request.user)
    if principal.uses_office:
        return redirect("office:home")
    if principal.is_guardian:
        return redirect("family:cabinet")
    return redirect("navigator:home")


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


REGISTERED_EMAIL = "accounts:registered-email"


class RegistrationForm(forms.Form):
    email = forms.EmailField(label="Электронная почта")
    last_name = forms.CharField(label="Фамилия", max_length=150)
    first_name = forms.CharField(label="Имя", max_length=150)
    patronymic = forms.CharField(label="Отчество", max_length=150, required=False)
    phone = forms.CharField(label="Телефон", max_length=32, required=False, validators=[validate_phone])
    municipality = forms.ModelChoiceField(
        label="Муниципалитет, где вы живёте", queryset=Municipality.objects.order_by("name"), empty_label="Выберите"
    )
    password1 = forms.CharField(label="Пароль", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Пароль ещё раз", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    consent = forms.BooleanField(
        label="Я даю согласие на обработку персональных данных моих и моих детей",
        error_messages={"required": "Без согласия на обработку персональных данных записать ребёнка нельзя."},
    )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("С этим адресом уже есть учётная запись: войдите или восстановите пароль.")
        return email

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "Пароли не совпадают.")
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"], User(email=data.get("email", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """A parent registers; the account opens once the e-mail is confirmed. A parent who came from a
    program's page («Регистрация» beside its apply button) is brought back to it after confirming."""
    form = RegistrationForm(request.POST or None)
    back = site_path(request.POST.get("next") or request.GET.get("next"))
    then = f"?{urlencode({'next': back})}" if back else ""
    if form.is_valid():
        data = form.cleaned_data
        services.register_guardian(
            data["email"],
            data["password1"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            patronymic=data["patronymic"],
            phone=data["phone"],
            municipality=data["municipality"],
            ip_address=request.META.get("REMOTE_ADDR"),
            confirmation_url=lambda token: request.build_absolute_uri(reverse("accounts:confirm", args=[token]) + then),
        )
        # A page of its own: reloading it does not post the registration again.
        request.session[REGISTERED_EMAIL] = data["email"]
        return redirect("accounts:registered")
    return render(
        request,
        "accounts/register.html",
        {"form": form, "consent_text": CONSENT_TEXT, "consent_version": CONSENT_VERSION, "next": back},
    )


@require_GET
def registered(request: HttpRequest) -> HttpResponse:
    email = request.session.get(REGISTERED_EMAIL)
    if not email:
        return redirect("accounts:register")
    return render(request, "accounts/registered.html", {"email": email})


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.confirm_email(token)
    except ValidationError as error:
        return render(request, "accounts/confirm_failed.html", {"error": error.messages[0]}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Адрес подтверждён. Добавьте ребёнка — и можно записываться.")
    if back := site_path(request.GET.get("next")):  # the program it registered from, after the child
        return redirect(f"{reverse('family:child_new')}?{urlencode({'next': back})}")
    return redirect("family:cabinet")
