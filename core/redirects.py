"""Where a form sends its user afterwards."""

from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, target: str | None, default: str, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
    """To `target` (a form's «next» or «back») when it is an address of this site, else to `default`
    (a URL name or a path, with its arguments): a link someone crafted never sends anyone to another site."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default, *args, **kwargs)


def site_path(target: str | None) -> str:
    """`target` if it is a path of this site (carried through a flow, e.g. a letter's link), else ""."""
    if target and target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        return target
    return ""
